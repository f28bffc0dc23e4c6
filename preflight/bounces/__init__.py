"""Bounce messages: read them (DSN/NDR/ARF/auto-replies), classify them, import them.

- :mod:`preflight.bounces.classify` - the reply classifier shared with the sender.
- :mod:`preflight.bounces.reader` - one raw message to classified records.
- :mod:`preflight.bounces.detectors` - one module per bounce format, in a fixed order.
- :mod:`preflight.bounces.sources` - .eml files, folders, mbox, Maildir and IMAP.
- :mod:`preflight.bounces.importer` - records into the ledger (match, policy, suppress).
"""
