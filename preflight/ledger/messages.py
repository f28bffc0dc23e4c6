"""Campaigns and their messages: the state machine of every message sent."""

from __future__ import annotations

import sqlite3


class MessagesMixin:
    db: sqlite3.Connection
