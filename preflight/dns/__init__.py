"""DNS lookups behind ``preflight check --dns`` and ``preflight check-domain``.

One module per concern: :mod:`.resolver` (where queries go), :mod:`.mailhost` (can a
recipient domain receive mail), :mod:`.spf`, :mod:`.dkim`, :mod:`.dmarc`, :mod:`.reverse`
(PTR) and :mod:`.blocklists`. :mod:`preflight.dnscheck` joins them into a domain audit.
"""
