"""Fixture zones for the DNS tests, served by tests/support/dns_server.py on loopback.

Every name is under the reserved ``.example`` top-level domain, so even a misdirected query
could not reach a real domain — except the blocklist zones, which must carry their real names
(zen.spamhaus.org …) and are answered by the loopback server like the rest. Keys are real
RSA and Ed25519 keys (see keys.py).
"""

from __future__ import annotations

from check.keys import ED25519_RAW, RSA_512_SPKI, RSA_1024_PKCS1, RSA_1024_SPKI, RSA_2048_SPKI

SENDER_IP = "192.0.2.10"  # good.example's mail server: in its SPF, forward-confirmed PTR
LISTED_IP = "198.51.100.66"  # on the fixture zen.spamhaus.org and bl.spamcop.net
GENERIC_IP = "203.0.113.45"  # PTR is an ISP pool name

ZONES: dict[str, dict[str, str | list[str]]] = {
    # -- a domain that does everything right ------------------------------------------------
    "good.example": {
        "MX": ["20 mx2.good.example.", "10 mx1.good.example."],
        "TXT": [
            "google-site-verification=Jx1x9aW0sQ",
            "v=spf1 ip4:192.0.2.0/28 include:_spf.mailhost.example -all",
        ],
        "A": "192.0.2.80",
    },
    "mx1.good.example": {"A": "192.0.2.25"},
    "mx2.good.example": {"A": "192.0.2.26"},
    "mail.good.example": {"A": SENDER_IP},
    "10.2.0.192.in-addr.arpa": {"PTR": "mail.good.example."},
    "s2048._domainkey.good.example": {"TXT": f"v=DKIM1; k=rsa; p={RSA_2048_SPKI}"},
    "_dmarc.good.example": {"TXT": "v=DMARC1; p=reject; rua=mailto:dmarc@good.example; adkim=s"},
    # a mail provider's nested SPF includes: ip6, a and mx mechanisms two levels down
    "_spf.mailhost.example": {
        "TXT": "v=spf1 ip4:198.51.100.0/25 ip6:2001:db8:5::/48 include:_spf2.mailhost.example ~all"
    },
    "_spf2.mailhost.example": {
        "TXT": "v=spf1 a:relay.mailhost.example/30 mx:mailhost.example -all"
    },
    "relay.mailhost.example": {"A": "203.0.113.4"},
    "mailhost.example": {"MX": "10 in.mailhost.example."},
    "in.mailhost.example": {"A": "203.0.113.90"},
    # -- common selectors: selector1 (Microsoft 365 style, via CNAME) and google ------------
    "common.example": {
        "MX": "0 common-example.mail.protection.outlook.example.",
        "TXT": "v=spf1 include:_spf.mailhost.example ~all",
    },
    "selector1._domainkey.common.example": {
        "CNAME": "selector1-common-example._domainkey.tenant.onmicrosoft.example."
    },
    "selector1-common-example._domainkey.tenant.onmicrosoft.example": {
        "TXT": f"v=DKIM1; k=rsa; p={RSA_1024_SPKI}"
    },
    "google._domainkey.common.example": {"TXT": f"v=DKIM1; k=ed25519; p={ED25519_RAW}"},
    "_dmarc.common.example": {"TXT": "v=DMARC1; p=quarantine; pct=25"},
    # -- everything wrong -------------------------------------------------------------------
    "bad.example": {
        "MX": "0 .",
        "TXT": ["v=spf1 +all", "v=spf1 ip4:192.0.2.1 -all"],
    },
    "_dmarc.bad.example": {"TXT": ["v=DMARC1; p=none", "v=DMARC1; p=reject"]},
    # SPF that expands past ten DNS-querying terms
    "toomany.example": {
        "MX": "10 mx.toomany.example.",
        "TXT": "v=spf1 include:_a.toomany.example include:_b.toomany.example mx a ?all",
    },
    "mx.toomany.example": {"A": "192.0.2.200"},
    "_a.toomany.example": {
        "TXT": "v=spf1 a:h1.toomany.example a:h2.toomany.example a:h3.toomany.example "
        "include:_c.toomany.example -all"
    },
    "_b.toomany.example": {
        "TXT": "v=spf1 mx:h4.toomany.example exists:h5.toomany.example a:h6.toomany.example -all"
    },
    "_c.toomany.example": {"TXT": "v=spf1 a:h7.toomany.example a:h8.toomany.example -all"},
    "_dmarc.toomany.example": {"TXT": "v=DMARC1; p=none; rua=mailto:r@toomany.example"},
    "weakkey._domainkey.toomany.example": {"TXT": f"v=DKIM1; p={RSA_512_SPKI}"},
    "oldkey._domainkey.toomany.example": {"TXT": f"v=DKIM1; k=rsa; t=y; p={RSA_1024_PKCS1}"},
    "revoked._domainkey.toomany.example": {"TXT": "v=DKIM1; k=rsa; p="},
    # -- no SPF, no DMARC, mail by A-record fallback; a subdomain inheriting DMARC ------------
    "bare.example": {"A": "192.0.2.150"},
    "news.parent.example": {"MX": "10 mx.parent.example.", "TXT": "v=spf1 redirect=parent.example"},
    "parent.example": {"MX": "10 mx.parent.example.", "TXT": "v=spf1 ip4:192.0.2.64/26 -all"},
    "mx.parent.example": {"A": "192.0.2.65"},
    "_dmarc.parent.example": {
        "TXT": "v=DMARC1; p=reject; sp=quarantine; rua=mailto:d@parent.example"
    },
    # -- reverse DNS of other sending IPs ---------------------------------------------------
    "66.100.51.198.in-addr.arpa": {"PTR": "host.elsewhere.example."},
    "host.elsewhere.example": {"A": "198.51.100.67"},
    "45.113.0.203.in-addr.arpa": {"PTR": "203-0-113-45.dynamic.isp.example."},
    "203-0-113-45.dynamic.isp.example": {"A": GENERIC_IP},
    # -- blocklists: zen and spamcop list LISTED_IP; barracuda refuses; DBL lists bad.example --
    "66.100.51.198.zen.spamhaus.org": {"A": ["127.0.0.2", "127.0.0.4"]},
    "66.100.51.198.bl.spamcop.net": {"A": "127.0.0.2"},
    "*.b.barracudacentral.org": {"A": "127.255.255.254"},
    "bad.example.dbl.spamhaus.org": {"A": "127.0.1.2"},
    # -- recipient domains for `check --dns` ------------------------------------------------
    "acme-tools.example": {"MX": "10 mx.acme-tools.example."},
    "mx.acme-tools.example": {"A": "192.0.2.30"},
    "nullmx.example": {"MX": "0 ."},
    "webonly.example": {"A": "192.0.2.31"},
    "nomail.example": {"TXT": "v=spf1 -all"},
}

# Names the server never answers (a timeout) — the resolver's timeout must cover them.
DROP = ("slow.example",)
