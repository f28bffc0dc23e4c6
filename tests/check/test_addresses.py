"""Offline address checks: one table row per rule, with addresses as real lists hold them."""

from __future__ import annotations

import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from preflight.address_data import suggest_domain
from preflight.addresses import AddressChecker, _Validator, mailbox_key
from preflight.ledger import Ledger

# address, verdict, the reason codes, the suggestion
CASES = [
    ("li.wei@hengtong-valves.com", "ok", [], None),
    ("  anna.schmidt@brandt-maschinen.de\u200b", "warn", ["whitespace"], None),
    ("Anna Schmidt <anna@brandt-maschinen.de>", "warn", ["wrapped"], None),
    ("mailto:sales.mgr@ferrotec-asia.com", "warn", ["wrapped"], None),
    ("", "reject", ["empty"], None),
    ("   ", "reject", ["empty"], None),
    ("tom@acme-tools.com; jane@acme-tools.com", "reject", ["two-addresses"], None),
    ("tom@acme-tools.com,jane@acme-tools.com", "reject", ["two-addresses"], None),
    ("tom@acme-tools.com / jane@acme-tools.com", "reject", ["two-addresses"], None),
    ("peter@siemens,com", "reject", ["comma-for-dot"], "peter@siemens.com"),
    ("peter;miller@siemens.com", "reject", ["comma-for-dot"], "peter.miller@siemens.com"),
    ("zhangsan＠qq。com", "reject", ["fullwidth"], "zhangsan@qq.com"),
    ("zhangsan@qq。com", "warn", ["fullwidth", "free-mail"], None),
    ("john @ gmail. com", "reject", ["spaces-inside"], "john@gmail.com"),
    ("john smith@acme-tools.com", "reject", ["syntax"], None),
    ("maria@exportadora.com.", "reject", ["syntax"], "maria@exportadora.com"),
    ("maria@@exportadora.com", "reject", ["syntax"], None),
    ("maria.exportadora.com", "reject", ["syntax"], None),
    ("用户@例子.广告", "warn", ["smtputf8"], None),
    ("kevin@gamil.com", "reject", ["domain-typo"], "kevin@gmail.com"),
    ("kevin@hotmial.com", "reject", ["domain-typo", "disposable"], "kevin@hotmail.com"),
    ("kevin@yaho.com", "reject", ["domain-typo"], "kevin@yahoo.com"),
    ("kevin@outlok.com", "reject", ["domain-typo"], "kevin@outlook.com"),
    ("kevin@gmaik.com", "reject", ["domain-typo"], "kevin@gmail.com"),  # found by edit distance
    ("wangfang@qq.con", "reject", ["domain-typo"], "wangfang@qq.com"),
    ("wangfang@163.cm", "reject", ["domain-typo"], "wangfang@163.com"),
    ("wangfang@sian.com", "reject", ["domain-typo"], "wangfang@sina.com"),
    ("wangfang@foxmial.com", "reject", ["domain-typo"], "wangfang@foxmail.com"),
    ("buyer@dongguan-plastics.cmo", "reject", ["tld-typo"], "buyer@dongguan-plastics.com"),
    ("buyer@gmial.con", "reject", ["tld-typo"], "buyer@gmail.com"),
    ("info@hengtong-valves.com", "warn", ["role"], None),
    ("noreply@hengtong-valves.com", "warn", ["role"], None),
    ("sales+cn@hengtong-valves.com", "warn", ["role"], None),
    ("x7k2p@mailinator.com", "reject", ["disposable"], None),
    ("x7k2p@10minutemail.com", "reject", ["disposable"], None),
    ("wangfang@163.com", "ok", ["free-mail"], None),
    ("ahmed@yahoo.co.in", "ok", ["free-mail"], None),
    # real domains close to a provider are left alone
    ("ceo@ae.com", "ok", [], None),
    ("a.person@email.com", "ok", ["free-mail"], None),
    ("team.lead@ymail.com", "ok", ["free-mail"], None),
    ("buyer@tradeco.cm", "ok", [], None),  # .cm is Cameroon: only 163.cm and kin are typos
]


@pytest.mark.parametrize(("address", "verdict", "codes", "suggestion"), CASES)
def test_address_rules(
    address: str, verdict: str, codes: list[str], suggestion: str | None
) -> None:
    result = AddressChecker().check(address)
    assert (result.verdict, result.codes, result.suggestion) == (verdict, codes, suggestion)
    for reason in result.reasons:
        assert reason.message and reason.fix and "\n" not in reason.message


def test_normalized_address_is_what_to_send_to() -> None:
    checker = AddressChecker()
    assert checker.check("  Anna <Anna.Schmidt@Brandt-Maschinen.DE> ").normalized == (
        "Anna.Schmidt@brandt-maschinen.de"
    )
    assert checker.check("peter@siemens,com").normalized is None  # rejected, not repaired


@pytest.mark.parametrize(
    ("first", "second", "same_provider_rule"),
    [
        ("Li.Wei@Hengtong-Valves.com", "li.wei@hengtong-valves.com", False),
        ("john.smith@gmail.com", "JohnSmith@gmail.com", True),
        ("john.smith@gmail.com", "johnsmith+export@googlemail.com", True),
        ("mike@outlook.com", "mike+leads@outlook.com", True),
        ("olga@yandex.ru", "olga+b2b@ya.ru", True),
    ],
)
def test_duplicates_case_and_provider_equivalents(
    first: str, second: str, same_provider_rule: bool
) -> None:
    checker = AddressChecker()
    assert checker.check(first, line=7).verdict != "reject"
    again = checker.check(second, line=12)
    assert again.verdict == "reject" and "duplicate" in again.codes
    message = next(r.message for r in again.reasons if r.code == "duplicate")
    assert "line 7" in message
    assert ("provider treats them as one" in message) is same_provider_rule


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("john.smith@company.com", "johnsmith@company.com"),  # dots matter outside Gmail
        ("john+a@company.com", "john@company.com"),  # so do +tags
        ("mike.r@hotmail.com", "miker@hotmail.com"),  # Microsoft keeps dots
        ("li@163.com", "li@126.com"),
    ],
)
def test_different_mailboxes_are_not_duplicates(first: str, second: str) -> None:
    checker = AddressChecker()
    checker.check(first)
    assert "duplicate" not in checker.check(second).codes


def test_mailbox_key() -> None:
    assert mailbox_key("J.O.H.N+x", "GoogleMail.com") == "john@gmail.com"
    assert mailbox_key("Anna.K", "brandt.de") == "anna.k@brandt.de"


def test_rejected_spellings_do_not_count_as_seen() -> None:
    checker = AddressChecker()
    checker.check("peter@siemens,com")  # no address to remember
    assert checker.distinct_mailboxes == 0
    assert checker.check("peter@siemens.com").verdict == "ok"


def test_fix_applies_the_suggestion_and_checks_it_again() -> None:
    checker = AddressChecker(fix=True)
    fixed = checker.check("kevin@gamil.com", line=2)
    assert (fixed.verdict, fixed.normalized, fixed.corrected) == ("warn", "kevin@gmail.com", True)
    assert [(r.code, r.severity) for r in fixed.reasons] == [
        ("domain-typo", "warn"),
        ("free-mail", "info"),
    ]
    # the corrected form is what duplicates are compared on
    duplicate = checker.check("Kevin@gmail.com", line=3)
    assert duplicate.verdict == "reject" and "duplicate" in duplicate.codes


def test_fix_leaves_unfixable_rejects_alone() -> None:
    checker = AddressChecker(fix=True)
    assert not checker.check("x7k2p@mailinator.com").corrected
    # a typo on a disposable domain: the fix cannot save it
    typo = checker.check("kevin@hotmial.com")
    assert typo.verdict == "reject" and not typo.corrected


def test_fix_of_repairs_chained_with_a_typo() -> None:
    result = AddressChecker(fix=True).check("sales.mgr@gamil,com")
    assert result.normalized == "sales.mgr@gmail.com"
    assert result.codes == ["comma-for-dot", "free-mail"]


def test_suppressed_addresses_carry_reason_and_date(ledger_at: str) -> None:
    with Ledger(ledger_at) as ledger:
        ledger.suppress("Buyer@Dongguan-Plastics.com", "userunknown", "bounce", "550 5.1.1")
        ledger.suppress("john.smith@gmail.com", "feedback", "complaint")
        checker = AddressChecker(ledger.suppression)
        found = checker.check(" buyer@dongguan-plastics.com")
        via_provider = checker.check("JohnSmith+x@gmail.com")
        clean = checker.check("other@dongguan-plastics.com")
        created = ledger.suppression("buyer@dongguan-plastics.com")
    assert created is not None
    assert found.verdict == "reject"
    message = next(r.message for r in found.reasons if r.code == "suppressed")
    assert created.created_at[:10] in message
    assert "userunknown" in message and "bounce" in message and "550 5.1.1" in message
    # the ledger stored the dotted spelling; the provider rule finds it from another spelling
    assert "suppressed" not in via_provider.codes  # the key is johnsmith@gmail.com, not stored
    assert "suppressed" not in clean.codes


def test_suppression_lookup_is_given_lower_case_spellings() -> None:
    asked: list[str] = []
    AddressChecker(lambda a: asked.append(a)).check("J.Smith+x@GMail.com")
    assert asked == ["j.smith+x@gmail.com", "jsmith@gmail.com"]


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ("gamil.com", ("gmail.com", "domain-typo")),
        ("gmail.com", None),
        ("hotmail.co.uk", None),
        ("outlook.de", None),
        ("126.con", ("126.com", "domain-typo")),
        ("acme.ocm", ("acme.com", "tld-typo")),
        ("acme.co", None),
        ("yahooo.com", ("yahoo.com", "domain-typo")),
    ],
)
def test_suggest_domain(domain: str, expected: tuple[str, str] | None) -> None:
    assert suggest_domain(domain) == expected


DOMAINS = ["Gmail.com", "hengtong-valves.com", "例子.广告", "xn--fsqu00a.xn--4rr70v", "bücher.de"]


@given(
    local=st.text(
        alphabet=st.sampled_from([*"abcXYZ019.+_-!#'é用ß", " ", '"', "@"]),
        min_size=0,
        max_size=70,
    ),
    domain=st.sampled_from(DOMAINS),
)
@settings(max_examples=300, deadline=None)
def test_domain_cache_agrees_with_email_validator(local: str, domain: str) -> None:
    warm = _Validator()
    warm(f"warm@{domain}")  # the domain is now cached: the stand-in path is taken
    address = f"{local}@{domain}"
    try:
        expected = validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        with pytest.raises(EmailNotValidError):
            warm(address)
        return
    got = warm(address)
    assert (got.normalized, got.ascii_domain, got.smtputf8, got.ascii_email) == (
        expected.normalized,
        expected.ascii_domain,
        bool(expected.smtputf8),
        expected.ascii_email,
    )
