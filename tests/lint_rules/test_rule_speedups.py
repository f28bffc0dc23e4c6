"""Regexes rewritten for speed (lint/text.py, lint/rules/text.py) match as the originals did.

Each rewrite lets ``re`` skip to a likely first character; the originals are kept here as the
definition and both are run on random texts made of the characters that matter, and on
corpus texts.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from preflight.draft import read_draft
from preflight.lint import text as lint_text
from preflight.lint.rules import text as text_rules

WORD_MONEY = re.compile(r"\b\d[\d,.]*\s?(?:usd|dollars|euros?|pounds|rmb|yuan)\b")
MILLIONS = re.compile(r"\b(?:million|billion)s?\b")
SPACED_HINT = re.compile(r"[a-z][.\-_* ][a-z][.\-_* ][a-z][.\-_* ][a-z]")
BANG_RUN = re.compile(r"[!！]{2,}")
PERCENT = re.compile(r"\d{1,3}\s?[%％]")

PIECES = [
    "1", "20", "3,5", "4.000", " ", "\n", "usd", "dollars", "euro", "euros", "pounds", "rmb",
    "yuan", "x", "_", "é", "٣", "million", "billion", "s", "m", "b", "illion", "a", "-", ".",
    "*", "!", "！", "%", "％", "off", "save ", "up to ", "折", "八", "ü", "Z", "$", "£", "€", "¥",
    "k", " m",
]  # fmt: skip


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(PIECES, k=rng.randint(0, 30))) for _ in range(count)]


def _old_percent(lower: str) -> list[str]:
    found = []
    for match in PERCENT.finditer(lower):
        before = lower[max(0, match.start() - 24) : match.start()]
        if lint_text._PERCENT_AFTER.match(lower, match.end()) or lint_text._PERCENT_BEFORE.search(
            before
        ):
            found.append(match.group(0))
    if "折" in lower:
        found += lint_text._CHINESE_DISCOUNT.findall(lower)
    return found


def _old_money(lower: str) -> tuple[list[str], list[str]]:
    amounts = lint_text._SYMBOL_MONEY.findall(lower)
    if any(word in lower for word in lint_text._CURRENCY_WORDS):
        amounts += WORD_MONEY.findall(lower)
    big = lint_text._BIG_SYMBOL_MONEY.findall(lower)
    if "illion" in lower:
        big += MILLIONS.findall(lower)
    return amounts, big


def _same(text: str) -> None:
    lower = text.lower()
    assert (lint_text.money_amounts(lower), lint_text.big_money(lower)) == _old_money(lower)
    assert lint_text._WORD_MONEY.findall(lower) == WORD_MONEY.findall(lower), text
    assert lint_text._millions(lower) == MILLIONS.findall(lower), text
    assert bool(text_rules._SPACED_HINT.search(lower)) == bool(SPACED_HINT.search(lower)), text
    assert text_rules._BANG_RUN.findall(text) == BANG_RUN.findall(text), text
    assert lint_text.percent_offers(lower) == _old_percent(lower), text


def test_rewritten_regexes_match_as_before_on_random_texts() -> None:
    for text in _texts(20_000, 5):
        _same(text)


def test_rewritten_regexes_match_as_before_on_corpus_texts(shared_dir: Path) -> None:
    paths = sorted((shared_dir / "corpora" / "spam-draft").rglob("*.eml"))
    for path in random.Random(4).sample(paths, 300):
        _same(read_draft(path).all_text)


def _old_url_host(url: str) -> str:
    from urllib.parse import urlsplit

    url = url.strip()
    if url.lower().startswith("www."):
        url = "http://" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


URLS = [
    "http://Example.COM/x", "HTTPS://a.b.c", "https://a.b.c.", "http://a.b:80/", "http://u@a.b/",
    "http://[::1]/", "http://[::1", "http://a.b\\x", "http://a.b\n/x", "ht\ttp://a.b", "www.A.b/x",
    "httpſ://a.b", "http:///x", "http://", "http://a.b?q#f", "http://a.b#f",
    "http://xn--bcher-kva.de",
    "http://bücher.de/", "http://a_b.c/", "http://a%2eb/", "mailto:x@y.z", "ftp://a.b/",
    " http://a.b ",
    "http://a.b\t", "http://-a-.b-/", "http://1.2.3.4/", "http://3232235777/", "https://a..b/",
]  # fmt: skip


def test_url_host_equals_urlsplit(shared_dir: Path) -> None:
    rng = random.Random(8)
    chars = "hHtTpPsS:/.-_@[]%?#\\ \t\nwWaB1ſK"
    urls = [*URLS]
    urls += ["".join(rng.choices(chars, k=rng.randint(0, 20))) for _ in range(20_000)]
    urls += ["http://" + "".join(rng.choices(chars, k=rng.randint(0, 12))) for _ in range(20_000)]
    paths = sorted((shared_dir / "corpora" / "spam-draft").rglob("*.eml"))
    for path in random.Random(6).sample(paths, 300):
        urls += [link.href for link in read_draft(path).links]
    lint_text.url_host.cache_clear()
    for url in urls:
        assert lint_text.url_host(url) == _old_url_host(url), repr(url)


def _old_fields(text: str) -> int:
    fields = 0
    for line in text.split("\n"):
        line = line.lstrip(" \t")
        if line.startswith(text_rules._FIELD_STARTS) and text_rules._FORM_FIELD.match(line):
            fields += 1
    return fields


def test_form_fields_count_as_the_line_loop_did(shared_dir: Path) -> None:
    rng = random.Random(11)
    pieces = ["name", "phone", "e-mail address", "zip code", ":", "_", " ", "\t", "\n", "x",
              "city", "full ", "bank", "http://a.b", "age"]  # fmt: skip
    texts = ["".join(rng.choices(pieces, k=rng.randint(0, 25))) for _ in range(20_000)]
    paths = sorted((shared_dir / "corpora" / "spam-draft").rglob("*.eml"))
    texts += [read_draft(p).all_text_lower for p in random.Random(5).sample(paths, 300)]
    for text in texts:
        old = _old_fields(text)
        for enough in (1, 3, 1000):
            assert text_rules._form_fields(text, enough) == min(old, enough), text
