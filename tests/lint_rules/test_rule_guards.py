"""Guards derived from a regex (lint/text.py ``required_literals``) never skip a regex that matches.

A guard is a list of sets of strings, one of each set must occur in the (lowered, folded) text
for the regex to match. Checked here: by hand on tricky patterns (alternations, optional groups,
case-insensitive flags, classes, odd case pairs such as "ſ"/"s" and "İ"/"i"), by enumerating
every short string over a small alphabet, and on corpus texts for every shipped pattern.
"""

from __future__ import annotations

import itertools
import random
import re
from pathlib import Path

import pytest

from preflight.draft import read_draft
from preflight.lint import text as lint_text
from preflight.lint.regex_literals import (
    fold_lower,
    has_all,
    leading_literals,
    required_literals,
    skippable,
    split_alternatives,
)
from preflight.lint.rules import text as text_rules
from preflight.lint.text import GuardedPatterns, _guards, language_patterns

ALL_CHARS = "".join(chr(u) for u in range(0x110000) if not 0xD800 <= u < 0xE000)


def _holds(pattern: str, flags: int, text: str) -> bool:
    """If the regex matches ``text``, both modes' guards are present (the property)."""
    if not re.search(pattern, text, flags):
        return True
    folded = required_literals(pattern, flags)
    exact = required_literals(pattern, flags, folded=False)
    return has_all(fold_lower(text.lower()), folded) and has_all(text, exact)


def test_every_case_insensitive_match_of_an_ascii_letter_folds_back_to_it() -> None:
    for letter in "abcdefghijklmnopqrstuvwxyz":
        for char in re.findall(letter, ALL_CHARS, re.IGNORECASE):
            assert fold_lower(char.lower()) == letter, (letter, hex(ord(char)))


def test_lowering_is_idempotent() -> None:
    # SND604 checks guards on an already lower-cased tail as if it were text.lower().
    lower = ALL_CHARS.lower()
    assert lower.lower() == lower


@pytest.mark.parametrize(
    ("pattern", "flags", "expected"),
    [
        ("abc|def", 0, [{"abc", "def"}]),
        ("(?:ab)?cd", 0, [{"abcd", "cd"}]),  # short repeats are spelt out
        ("(?:ab)*cd", 0, [{"cd"}]),
        ("x{1,3}y", 0, [{"xy", "xxy", "xxxy"}]),
        ("(?:ab){2,}", 0, [{"ab"}]),
        ("x*yz", 0, [{"yz"}]),
        ("ab?c", 0, [{"abc", "ac"}]),
        ("a.c", 0, []),  # "a" and "c" alone are too short to be worth an ``in``
        ("(?i)STREET", 0, [{"street"}]),
        ("STREET", re.IGNORECASE, [{"street"}]),
        ("(?i:Ab)cd", 0, [{"abcd"}]),
        ("[pP][oO]\\.?\\s?[bB][oO][xX]", 0, [{"box"}, {"po", "po."}]),
        ("a[^b]cd", 0, [{"cd"}]),
        ("\\d+abc", 0, [{"abc"}]),
        ("\\bremove\\b", re.IGNORECASE, [{"remove"}]),
        ("(a)\\1bc", 0, [{"bc"}]),
        ("(?(1)ab|cd)", 0, []),
        ("(?i)ΣΑΣ", 0, []),  # Greek under IGNORECASE: extra case forms, no guard
        ("Straße", 0, [{"straße"}]),
        ("(?i)straße", 0, [{"stra"}]),  # "ß" is cased and not ASCII: the guard stops at it
        ("(?i)strasse", 0, [{"strasse"}]),
        ("退订|取消订阅", re.IGNORECASE, [{"退订", "取消订阅"}]),
        ("(?:ab|cd)+ef", 0, [{"ab", "cd"}, {"ef"}]),
        ("(?:ab|c)ef", 0, [{"abef", "cef"}]),
        ("foo|bar.*", 0, [{"foo", "bar"}]),
        ("foo|x", 0, []),  # one branch needs only "x"
        ("foo|.*", 0, []),
        ("(?=abc)", 0, []),  # lookahead text is not part of the match
        ("ab(?=x)cd", 0, [{"abcd"}]),
    ],
)
def test_required_literals_of_tricky_patterns(
    pattern: str, flags: int, expected: list[set[str]]
) -> None:
    assert sorted(map(set, required_literals(pattern, flags)), key=sorted) == sorted(
        expected, key=sorted
    )


def test_exact_mode_takes_only_case_sensitive_or_uncased_literals() -> None:
    assert required_literals("(?i)abc|def", 0, folded=False) == ()
    assert required_literals("(?i)1-2-3", 0, folded=False) == (frozenset({"1-2-3"}),)
    assert required_literals("Abc", 0, folded=False) == (frozenset({"Abc"}),)


ENUMERATED = [
    ("(?i)is", 0),
    ("(?i)sk|ki", 0),
    ("Is", 0),
    ("(?i:s)k?S", 0),
    ("[iI]s", 0),
    ("(?:si|s)?ik", 0),
    ("(?i)\\bsik\\b", 0),
    ("ks", re.IGNORECASE),
    ("(?i:k)(?:ss|i)", 0),
    ("σς|Σs", 0),
    ("(?i)σς", 0),
    ("İs|ık", 0),
    ("(?i)s?ik{1,2}", 0),
    ("(?i:k|s)?iS", 0),
]
ALPHABET = "sSſiIİık\u212aK σΣς"


@pytest.mark.parametrize(("pattern", "flags"), ENUMERATED)
def test_guards_hold_on_every_short_string(pattern: str, flags: int) -> None:
    for size in range(1, 5):
        for chars in itertools.product(ALPHABET, repeat=size):
            text = "".join(chars)
            assert _holds(pattern, flags, text), (pattern, text)


def _shipped() -> list[tuple[str, int]]:
    found = [(p, 0) for group in language_patterns("postal.txt").values() for p in group]
    found += [
        (p, re.IGNORECASE) for group in language_patterns("opt_out.txt").values() for p in group
    ]
    for keyed in (text_rules._FORM_REQUEST, text_rules._GUARANTEED, text_rules._OPT_OUT_SPAM):
        found += [(s.regex.pattern, re.S) for _, scans in keyed._groups for s in scans]
    return found


def _variants(text: str) -> list[str]:
    # Upper case, and the odd case forms the IGNORECASE engine also matches.
    upper = text.upper()
    return [
        text,
        upper,
        text.title(),
        upper.replace("I", "İ"),
        text.replace("i", "ı").replace("s", "ſ"),
        upper.replace("S", "ſ").replace("K", "\u212a"),
    ]


def _texts(shared_dir: Path, count: int) -> list[str]:
    corpus = shared_dir / "corpora" / "spam-draft"
    paths = sorted(corpus.rglob("*.eml"))
    picked = random.Random(7).sample(paths, count)
    return [read_draft(p).all_text[-3000:] for p in picked]


def test_guards_hold_for_shipped_patterns_on_corpus_texts(shared_dir: Path) -> None:
    patterns = _shipped()
    for text in _texts(shared_dir, 150):
        for variant in _variants(text):
            for pattern, flags in patterns:
                assert _holds(pattern, flags, variant), pattern


def _unguarded_search(patterns: list[str], flags: int, text: str) -> re.Match[str] | None:
    """GuardedPatterns.search as it was: only the hand-shaped guards."""
    lower = text.lower()
    for pattern in patterns:
        guards = _guards(pattern)
        if guards is not None and not any(g in lower for g in guards):
            continue
        if match := re.search(pattern, text, flags):
            return match
    return None


def test_guarded_search_finds_what_the_plain_search_finds(shared_dir: Path) -> None:
    for name, flags in (("postal.txt", 0), ("opt_out.txt", re.IGNORECASE)):
        table = language_patterns(name)
        patterns = [p for group in table.values() for p in group]
        matcher = GuardedPatterns(patterns, flags)
        for text in _texts(shared_dir, 100):
            for variant in _variants(text):
                ours = matcher.search(variant, variant.lower())
                theirs = _unguarded_search(patterns, flags, variant)
                assert (ours and ours.span()) == (theirs and theirs.span())


def test_keyed_runs_a_shared_regex_once() -> None:
    assert len(text_rules._FORM_REQUEST._groups) == 2
    assert lint_text.Keyed(("a", "x"), ("b", "x")).search("b x") is not None


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("ab|cd", ["ab", "cd"]),
        ("a|b", ["a|b"]),  # re makes it one character class
        ("(?:a|b)c|d", ["(?:a|b)c", "d"]),
        ("[|]x|y", ["[|]x", "y"]),
        ("[]|]x|y", ["[]|]x", "y"]),
        ("[^]|]x|y", ["[^]|]x", "y"]),
        ("a\\|b", ["a\\|b"]),
        ("a\\\\|b", ["a\\\\", "b"]),
        ("(a)|b", ["(a)|b"]),  # a capturing group: numbers would shift
        ("\\ba|\\bb", ["\\ba|\\bb"]),  # re factors the "\b" out: not one alternation
        ("abc", ["abc"]),
    ],
)
def test_split_alternatives(pattern: str, expected: list[str]) -> None:
    assert split_alternatives(pattern) == expected


def test_leading_literals() -> None:
    assert leading_literals("\\b(?:send|give)\\s+us") == ("give", "send")
    assert leading_literals("\\bfill\\s+") == ("fill",)
    assert leading_literals("fill\\s+") is None  # re skips to "f" on its own
    assert leading_literals("\\b\\w+fill") is None
    assert leading_literals("(?i)\\bfill") is None  # cased letters under IGNORECASE


class _OldKeyed:
    """Keyed as it was: one regex per pair, tried when its key occurs."""

    def __init__(self, *pairs: tuple[str, str]) -> None:
        self._pairs = [(key, re.compile(pattern, re.S)) for key, pattern in pairs]

    def search(self, lower_text: str) -> re.Match[str] | None:
        best = None
        for key, regex in self._pairs:
            if key in lower_text:
                match = regex.search(lower_text)
                if match and (best is None or match.start() < best.start()):
                    best = match
        return best


KEYED_PAIRS = {
    "form": text_rules._FORM_REQUEST_PAIRS,
    "opt-out": text_rules._OPT_OUT_PAIRS,
    "guaranteed": text_rules._GUARANTEED_PAIRS,
    "tricky": (
        ("ab", "\\bab|xab|ab"),
        ("b", "b\\b|\\bab"),
        ("x", "(?:x|y)z|\\bxz"),
        ("ab", "\\bab|xab"),
    ),
}


def _same_keyed(pairs: tuple[tuple[str, str], ...], texts: list[str]) -> None:
    ours, theirs = lint_text.Keyed(*pairs), _OldKeyed(*pairs)
    for text in texts:
        mine, old = ours.search(text), theirs.search(text)
        assert (mine and (mine.span(), mine.group(0))) == (old and (old.span(), old.group(0)))


def test_keyed_finds_what_one_regex_per_pair_found(shared_dir: Path) -> None:
    texts = [t.lower() for t in _texts(shared_dir, 300)]
    rng = random.Random(9)
    pieces = ["ab", "x", "y", "z", " ", "b", "xab", "fill ", "in ", "the ", "form", "send ", "us ",
              "your ", "name", "remove", "with ", "reply ", "'", "to be removed from"]  # fmt: skip
    texts += ["".join(rng.choices(pieces, k=rng.randint(0, 12))) for _ in range(5000)]
    for pairs in KEYED_PAIRS.values():
        _same_keyed(pairs, texts)


def test_folded_leading_literals() -> None:
    assert leading_literals("(?i)\\bremove\\b", folded=True) == ("remove",)
    assert leading_literals("unsubscri", re.IGNORECASE, folded=True) == ("unsubscri",)
    assert leading_literals("(?i:ΣΑ)x", folded=True) is None
    assert leading_literals("(?i)(?:ab|cd|ef)(?:gh|ij|kl|mn)", folded=True) == ("ab", "cd", "ef")


def test_guarded_search_on_tricky_ascii_and_non_ascii_texts() -> None:
    patterns = ["(?i)\\bremove\\b", "(?i:no\\.|room)\\s*\\d+", "unsubscri", "(?i)x?ab"]
    matcher = GuardedPatterns(patterns, 0)
    rng = random.Random(2)
    pieces = ["remove", "REMOVE", "xremove", "room 5", "ROOM5", "no.1", "ab", "xAB", " ", "İ",
              "ſ", "unſubscri", "unsubscri", "x"]  # fmt: skip
    for _ in range(5000):
        text = "".join(rng.choices(pieces, k=rng.randint(0, 8)))
        ours = matcher.search(text, text.lower())
        theirs = _unguarded_search(patterns, 0, text)
        assert (ours and ours.span()) == (theirs and theirs.span()), text


SKIPPABLE = [
    "\\d{3}x",
    "\\d{1,}x",
    "\\d{1,6}\\s+[A-Z]",
    "[A-Z]{2}\\s+\\d{5}(?:-\\d{4})?\\b",
    "[A-Z]{1,2}\\d[A-Z\\d]?\\s+\\d[A-Z]{2}\\b",
    "[a\\]b]{2}c",
    "\\w{2,3}\\d",
    "[^a ]{1,2}a",
    "\\s{1}x",
]


def test_skippable_rewrites_only_a_leading_greedy_class_repeat() -> None:
    assert skippable("\\d{1,6}x") == "\\d\\d{0,5}x"
    assert skippable("[A-Z]{2}") == "[A-Z][A-Z]{1}"
    assert skippable("\\d{1,}") == "\\d\\d{0,}"
    for kept in ("\\d{0,2}", "[a]{2,3}?", "\\w{2}+", "[]a]{2}", "(?:ab){2}", "x{2}", "(?i)\\d{2}"):
        assert skippable(kept) == kept


@pytest.mark.parametrize(
    "pattern", SKIPPABLE + [p for g in language_patterns("postal.txt").values() for p in g]
)
def test_skippable_finds_the_same_matches(pattern: str) -> None:
    rng = random.Random(4)
    pieces = ["1", "22", "333", "4444", "55555", "a", "b", "]", "AB", "C", "x", " ", "  ", "-",
              "St", "Street", "Rd", "SW1A 1AA", "NY 10001", "é", "\n", "区", "北京"]  # fmt: skip
    texts = ["".join(rng.choices(pieces, k=rng.randint(0, 14))) for _ in range(3000)]
    ours, theirs = re.compile(skippable(pattern)), re.compile(pattern)
    for text in texts:
        assert [m.span() for m in ours.finditer(text)] == [m.span() for m in theirs.finditer(text)]
