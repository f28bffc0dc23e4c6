"""Bounce records imported from mailboxes."""

from __future__ import annotations

import sqlite3


class BouncesMixin:
    db: sqlite3.Connection
