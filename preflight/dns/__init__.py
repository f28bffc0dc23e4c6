"""DNS lookups behind ``preflight check --dns`` and ``preflight check-domain``.

Reading DNS, one module per record family: :mod:`.resolver` (where queries go, the per-run
cache), :mod:`.answer`, :mod:`.mailhost` (can a recipient domain receive mail), :mod:`.spf`,
:mod:`.dkim`, :mod:`.dmarc`, :mod:`.reverse` (PTR) and :mod:`.blocklists`.
Judging it: :mod:`.audit_host`, :mod:`.audit_spf` and :mod:`.audit_auth` turn those facts into
the :class:`~preflight.dns.report.Check` lines that :mod:`preflight.dnscheck` gathers.
"""
