"""Bounce messages: read them (DSN/NDR/ARF/auto-replies), classify them, import them.

- :mod:`preflight.bounces.classify` - the reply classifier shared with the sender.
- :mod:`preflight.bounces.reader` - one raw message to classified records.
- :mod:`preflight.bounces.mime` / :mod:`preflight.bounces.parse` - MIME parts, decoded text.
- :mod:`preflight.bounces.detectors` - one module per bounce format, in a fixed order.
- :mod:`preflight.bounces.rhost` / :mod:`preflight.bounces.lda` - provider codes and local
  delivery agents' messages, which name the reason better than the general phrases.
- :mod:`preflight.bounces.sources` / :mod:`preflight.bounces.imap` - where messages come from.
- :mod:`preflight.bounces.importer` - records into the ledger (match, policy, suppress).
"""
