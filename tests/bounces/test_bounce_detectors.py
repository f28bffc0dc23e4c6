"""Each detector on real corpus files: (detector, file, recipient, reason, hard)."""

from __future__ import annotations

from pathlib import Path

import pytest

from preflight.bounces.detectors import DETECTORS
from preflight.bounces.reader import classify_message

TABLE = [
    ("arf", "arf-01.eml", "redacted@example.net", "feedback", False),
    ("amazonses-json", "lhost-amazonses-09.eml", "bounce@simulator.amazonses.com",
     "userunknown", True),
    ("amazonses-json", "lhost-amazonses-11.eml", "complaint@simulator.amazonses.com",
     "feedback", False),
    ("googlegroups", "lhost-googlegroups-03.eml", "libsisimai@googlegroups.com", "rejected",
     False),
    ("autoreply", "rfc3834-01.eml", "kijitora@example.net", "vacation", False),
    ("dsn", "lhost-postfix-33.eml", "userunknown@libsisimai.org", "userunknown", True),
    ("microsoft", "lhost-office365-12.eml", "kijitora@cr.neko.nyaan.jp", "mailboxfull", False),
    ("microsoft", "lhost-office365-01.eml", "kijitora@example.com", "userunknown", True),
    ("dsn", "lhost-sendmail-17.eml", "kijitora@example.net", "hasmoved", True),
    ("dsn", "lhost-postfix-72.eml", "kijitora@mail.example.ru", "authfailure", False),
    ("dsn", "lhost-barracuda-02.eml", "kijitora@example.jp", "spamdetected", False),
    ("qmail", "lhost-qmail-17.eml", "userunknown@libsisimai.net", "userunknown", True),
    ("qmail", "lhost-qmail-17.eml", "mailboxfull@libsisimai.net", "mailboxfull", False),
    ("qmail", "lhost-qmail-07.eml", "kijitora@example.jp", "networkerror", False),
    ("exchange", "lhost-exchange2003-05.eml", "kijitora@example.com", "userunknown", True),
    ("exchange", "lhost-exchange2003-04.eml", "kijitora@example.com", "filtered", False),
    ("exim", "lhost-exim-45.eml", "kijitora@example.com", "rejected", False),
    ("exim", "lhost-exim-01.eml", "kijitora@example.ed.jp", "blocked", False),
    ("exim", "lhost-einsundeins-03.eml", "xxxx@xxxx.fr", "spamdetected", False),
    ("dragonfly", "lhost-dragonfly-04.eml", "postmaster@cx.libsisimai.org", "hostunknown", True),
    ("lotus", "lhost-domino-01.eml", "kijitora@example.jp", "userunknown", True),
    ("lotus", "lhost-notes-03.eml", "kijitora@example.com", "userunknown", True),
    ("opensmtpd", "lhost-opensmtpd-03.eml", "kijitora@neko.example.jp", "hostunknown", True),
    ("imailserver", "lhost-imailserver-01.eml", "kijitora@example.com", "userunknown", True),
    ("interscan", "lhost-trendmicro-03.eml", "kijitora@example.jp", "userunknown", True),
    ("verizon", "lhost-verizon-01.eml", "0000000000@vzwpix.com", "userunknown", True),
    ("fml", "lhost-fml-03.eml", "neko@example.co.jp", "systemerror", False),
    ("v5sendmail", "lhost-v5sendmail-07.eml", "kijitora@example.org", "blocked", False),
    ("v5sendmail", "lhost-v5sendmail-06.eml", "kijitora@example.edu", "norelaying", False),
    ("zoho", "lhost-zoho-04.eml", "kijitora@6kaku.example.co.jp", "expired", False),
    ("generic", "lhost-gmail-09.eml", "kijitora@9jo.example.jp", "expired", False),
    ("dragonfly", "lhost-dragonfly-24.eml", "userunknown@libsisimai.net", "userunknown", True),
    ("generic", "lhost-activehunter-01.eml", "kijitora@example.org", "userunknown", True),
]


@pytest.mark.parametrize(("detector", "name", "recipient", "reason", "hard"), TABLE)
def test_detector_reads_corpus_file(corpus: Path, detector: str, name: str, recipient: str,
                                    reason: str, hard: bool) -> None:
    records = classify_message((corpus / name).read_bytes())
    found = {r.recipient: r for r in records}
    assert recipient in found, [r.recipient for r in records]
    record = found[recipient]
    assert (record.detector, record.reason, record.hard) == (detector, reason, hard)


def test_every_registered_detector_is_exercised() -> None:
    names = {module.NAME for module in DETECTORS}
    assert names <= {row[0] for row in TABLE}, names - {row[0] for row in TABLE}


def test_a_personal_message_is_not_a_bounce() -> None:
    data = b"From: Ann <ann@example.org>\nTo: bob@example.com\nSubject: lunch?\n\nSee you at 1.\n"
    assert classify_message(data) == []


def test_the_registry_checks_the_detector_protocol() -> None:
    import types

    import pytest

    from preflight.bounces.detectors import DETECTORS, Detector, _registry

    assert all(isinstance(d, Detector) for d in DETECTORS)
    broken = types.ModuleType("broken")
    broken.NAME = "broken"  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="not a bounce Detector"):
        _registry(broken)
    with pytest.raises(TypeError, match="duplicate"):
        _registry(DETECTORS[0], DETECTORS[0])
