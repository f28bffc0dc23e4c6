"""Text helpers the rules share: phrase lists from data files, words, caps, money, domains."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from urllib.parse import urlsplit

from preflight.lint.regex_literals import (
    fold_lower,
    has_all,
    leading_literals,
    required_literals,
    skippable,
    split_alternatives,
)
from preflight.resources import data_file

# Kana, CJK ideographs and Hangul: scripts written without spaces between words.
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
WORD_RE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")


@dataclass(frozen=True)
class PhraseHit:
    phrase: str  # as listed in the data file
    weight: float
    offset: int  # where it first occurs in the searched text


class PhraseList:
    """Weighted phrases, matched case-insensitively on word boundaries (CJK: anywhere).

    Data file format, one phrase a line: ``WEIGHT PHRASE`` (``1.5 act now``); ``#`` starts a
    comment. Whitespace inside a phrase matches any run of whitespace.

    Matching looks the phrase's words up in the set of the text's words first (all must be
    there), and runs a substring search (then a word-boundary check) only for the few phrases
    that can occur: one big regex alternation is two orders of magnitude slower in Python's
    ``re``. A phrase found on word boundaries has each of its words as a word of the text, so
    the look-up only skips searches that would fail.
    """

    def __init__(self, entries: dict[str, float]) -> None:
        self.weights = {" ".join(key.lower().split()): w for key, w in entries.items()}
        # (the phrase's words, longest first; phrase; weight). A phrase without a letter or
        # digit has no words and never matches, as when it was looked up as its own word.
        self._anchored: list[tuple[str, frozenset[str], str, float]] = []
        self._cjk: list[tuple[str, float]] = []
        for phrase, weight in self.weights.items():
            if CJK_RE.search(phrase):  # no spaces between words: a substring match
                self._cjk.append((phrase, weight))
            elif tokens := _TOKEN_RE.findall(phrase):
                # A token "mixes" scripts only inside CJK runs, which never get here.
                anchor = max(tokens, key=len)
                self._anchored.append((anchor, frozenset(tokens), phrase, weight))

    def find(self, text: str, lower: str | None = None) -> list[PhraseHit]:
        """Distinct phrases found, each once, in order of first occurrence.

        ``lower`` is ``text.lower()`` when the caller has it already. ``offset`` is
        approximate when the text had runs of whitespace (it is an offset in the normalised
        text), which is good enough to point at a line.
        """
        norm, tokens = _indexed(text.lower() if lower is None else lower)
        found = []
        for anchor, words, phrase, weight in self._anchored:
            if anchor not in tokens or not words <= tokens:
                continue
            at = norm.find(phrase)
            while at >= 0:
                end = at + len(phrase)
                if (at == 0 or not _is_word_char(norm[at - 1], phrase[0])) and (
                    end == len(norm) or not _is_word_char(norm[end], phrase[-1])
                ):
                    found.append(PhraseHit(phrase, weight, at))
                    break
                at = norm.find(phrase, at + 1)
        if self._cjk and not norm.isascii():
            for phrase, weight in self._cjk:
                at = norm.find(phrase)
                if at >= 0:
                    found.append(PhraseHit(phrase, weight, at))
        found.sort(key=lambda hit: hit.offset)
        return found


_TOKEN_RE = re.compile(r"[^\W_]+")  # words of any script (Cyrillic, Arabic, accented Latin)
# UTF-8 bytes with every ASCII byte that is not a letter or digit made a space: ASCII runs
# between spaces are then words as _TOKEN_RE finds them: translate and split, 4x the regex.
_ASCII_SEPARATORS = bytes(b if b >= 0x80 or chr(b).isalnum() else 0x20 for b in range(256))


@lru_cache(maxsize=8)
def _indexed(lower: str) -> tuple[str, frozenset[str]]:
    """Normalised lower-case text and its set of words (cached: several lists search one)."""
    norm = " ".join(lower.split())
    spaced = norm.encode("utf-8").translate(_ASCII_SEPARATORS)
    if norm.isascii():
        return norm, frozenset(spaced.decode("ascii").split())
    # A chunk with a non-ASCII character may hold several words ("don’t"): the regex splits
    # those few; splits fall on ASCII bytes only, so each chunk decodes on its own.
    unique = set(spaced.split())
    words = {c.decode("ascii") for c in unique if c.isascii()}
    words.update(_TOKEN_RE.findall(" ".join(c.decode("utf-8") for c in unique if not c.isascii())))
    return norm, frozenset(words)


def _is_word_char(neighbour: str, edge: str) -> bool:
    """Does ``neighbour`` glue onto the phrase's ``edge`` (so it is inside a longer word)?"""
    return (neighbour.isalnum() or neighbour == "_") and (edge.isalnum() or edge == "_")


def normalise(text: str) -> str:
    """Lower case with every whitespace run as one space (CJK text keeps its characters)."""
    return " ".join(text.lower().split())  # str.split beats a regex sub several times


@cache
def phrase_files(kind: str, languages: frozenset[str]) -> tuple[str, ...]:
    """The ``{kind}_{language}.txt`` lists for these languages, English always included.

    English is in every list set: exporters and buyers mix it into mail in any language.
    """
    wanted = sorted(languages | {"en"})
    return tuple(
        f"{kind}_{language}.txt"
        for language in wanted
        if data_file(f"{kind}_{language}.txt").exists()
    )


@cache
def phrase_list(*names: str) -> PhraseList:
    """Load and merge weighted phrase files from ``preflight/lint/data``."""
    entries: dict[str, float] = {}
    for name in names:
        for number, raw in enumerate(data_file(name).read_text("utf-8").splitlines(), 1):
            line = re.split(r"(?:^|\s)#", raw, maxsplit=1)[0].strip()
            if not line:
                continue
            weight, _, phrase = line.partition(" ")
            try:
                entries[phrase.strip()] = float(weight)
            except ValueError as exc:  # a shipped data file is broken: a bug, say where
                raise ValueError(f"{name}:{number}: weight is not a number: {raw!r}") from exc
    return PhraseList(entries)


@cache
def word_set(name: str) -> frozenset[str]:
    """A plain list data file (one lower-case entry a line, ``#`` comments)."""
    lines = data_file(name).read_text("utf-8").splitlines()
    return frozenset(entry for raw in lines if (entry := raw.split("#", 1)[0].strip().lower()))


def words(text: str) -> list[str]:
    return WORD_RE.findall(text)


def is_shouting(text: str, min_letters: int = 6) -> bool:
    """Mostly capital letters, with enough letters to mean it."""
    letters = [c for c in text if c.isalpha() and not CJK_RE.match(c)]
    if len(letters) < min_letters:
        return False
    upper = sum(1 for c in letters if c.isupper())
    return upper / len(letters) >= 0.9


# Money and discount patterns run on lower-case text and each starts with a cheap character
# class or is guarded by a substring check: these run on every draft, and one big
# case-insensitive alternation is several times slower in Python's ``re``.
_SYMBOL_MONEY = re.compile(r"[$£€¥]\s?\d[\d,.]*(?:\s?(?:million|billion|thousand|k|m)\b)?")
# r"\b\d..." written as r"\d(?<!\w.)...": the same matches (a digit is a word character, so
# "\b" before it means no word character before it), but a leading \d lets re skip to digits.
_WORD_MONEY = re.compile(r"\d(?<!\w.)[\d,.]*\s?(?:usd|dollars|euros?|pounds|rmb|yuan)\b")
# r"\b(?:million|billion)s?\b" without the leading "\b", which _millions checks instead.
_MILLIONS = re.compile(r"[mb]illions?\b")
_BIG_SYMBOL_MONEY = re.compile(r"[$£€]\s?(?:\d{1,3}(?:[,.]\d{3})+(?!\d)|\d+\s?(?:m|k)\b)")
_CURRENCY_WORDS = ("usd", "dollar", "euro", "pound", "rmb", "yuan")
_PERCENT = re.compile(r"\d\d{0,2}\s?[%％]")  # r"\d{1,3}...", as skippable() writes it
_PERCENT_AFTER = re.compile(r"\s?(?:off|discount|savings?|cheaper|less)\b|\s?(?:折|优惠|回扣)")
_PERCENT_BEFORE = re.compile(
    r"\b(?:save|up to|discount of|get|reduce[ds]?|lower)\s+(?:up\s+to\s+)?$"
)
_CHINESE_DISCOUNT = re.compile(r"[一二三四五六七八九]折")


def money_amounts(lower: str) -> list[str]:
    """Money amounts in lower-case text: "$1,500", "20 usd", "million dollars"."""
    return list(_money_amounts(lower))


@lru_cache(maxsize=8)
def _money_amounts(lower: str) -> tuple[str, ...]:
    # Cached: TXT105 and SND606 both count the amounts of the same text.
    found = _SYMBOL_MONEY.findall(lower) if _has_any(lower, "$£€¥") else []
    if any(word in lower for word in _CURRENCY_WORDS):
        found += _WORD_MONEY.findall(lower)
    return tuple(found)


def big_money(lower: str) -> list[str]:
    """Large sums: "$1,000,000", "$5m", any "million"/"billion"."""
    found = _BIG_SYMBOL_MONEY.findall(lower) if _has_any(lower, "$£€") else []
    if "illion" in lower:
        found += _millions(lower)
    return found


def _has_any(text: str, chars: str) -> bool:
    """Does ``text`` hold one of ``chars`` (the class a regex starts with)? C-speed ``in``."""
    return any(char in text for char in chars)


def _millions(lower: str) -> list[str]:
    """Words "million(s)" and "billion(s)" (no match can start inside another)."""
    return [
        m.group(0)
        for m in _MILLIONS.finditer(lower)
        if not (at := m.start()) or not _is_word(lower[at - 1])
    ]


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"  # re's \w on str patterns


def percent_offers(lower: str) -> list[str]:
    """Percent-off offers in lower-case text: "50% off", "save 30%", "八折"."""
    found = []
    if "%" in lower or "％" in lower:  # _PERCENT needs one: most texts skip the regex
        for match in _PERCENT.finditer(lower):
            before = lower[max(0, match.start() - 24) : match.start()]
            if _PERCENT_AFTER.match(lower, match.end()) or _PERCENT_BEFORE.search(before):
                found.append(match.group(0))
    if "折" in lower:
        found += _CHINESE_DISCOUNT.findall(lower)
    return found


# An http(s) URL whose host is plain ASCII letters, digits, dots and hyphens, followed by the
# path, query, fragment or the end: no user, port, brackets or escapes for urlsplit to read.
# Case-sensitive on purpose: under IGNORECASE "s" also matches "ſ", which no scheme holds.
_PLAIN_WEB_URL = re.compile(r"[hH][tT][tT][pP][sS]?://([A-Za-z0-9.-]+)(?:[/?#]|\Z)")


@lru_cache(maxsize=4096)
def url_host(url: str) -> str:
    """Lower-case host of a URL (``www.x.com`` without a scheme too); "" if there is none."""
    url = url.strip()
    if url.lower().startswith("www."):
        url = "http://" + url
    if simple := _PLAIN_WEB_URL.match(url):  # what urlsplit gives, without its cost
        return simple.group(1).rstrip(".").lower()
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").lower()


def registered_domain(host: str) -> str:
    """A cheap registrable-domain guess: the last two labels, three under a 2-letter ccTLD SLD.

    Good enough to tell ``mail.example.co.uk`` and ``www.example.co.uk`` apart from
    ``other.co.uk`` without shipping the public suffix list.
    """
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "ne", "or", "gen"})


class Keyed:
    """Regexes each guarded by a literal that must occur first (in lower-case text).

    ``in`` on a string is fast C code; most texts contain none of the keys, so the regexes
    (written for lower-case text) rarely run. Past the key, each top-level alternative runs
    as its own :class:`_Scan` (own guards, a start ``re`` can skip to); pairs sharing a
    regex run it once. The earliest match wins, on a tie the earlier pair's and alternative's,
    as the single regex would have chosen.
    """

    def __init__(self, *pairs: tuple[str, str]) -> None:
        keys: dict[str, list[str]] = {}
        for key, pattern in pairs:
            keys.setdefault(pattern, []).append(key)
        self._groups = [
            (tuple(found), [_Scan(b, re.S) for b in split_alternatives(p, re.S)])
            for p, found in keys.items()
        ]

    def search(self, lower_text: str) -> re.Match[str] | None:
        best: re.Match[str] | None = None
        for keys, scans in self._groups:
            if any(key in lower_text for key in keys):
                for scan in scans:
                    match = scan.search(lower_text, None if best is None else best.start())
                    if match and (best is None or match.start() < best.start()):
                        best = match
        return best


class _Scan:
    """One regex, run only when its exact-mode guards occur (see :func:`required_literals`).

    When every match starts with one of a few literals and the pattern opens with no
    character ``re`` can skip to (r"\bfill"), it is tried only where those literals occur.
    """

    def __init__(self, pattern: str, flags: int) -> None:
        self.regex = re.compile(pattern, flags)
        self._needed = required_literals(pattern, flags, folded=False)
        self._starts = leading_literals(pattern, flags)

    def search(self, text: str, before: int | None = None) -> re.Match[str] | None:
        """The leftmost match (only one starting before ``before`` matters, if given)."""
        if not has_all(text, self._needed):
            return None
        if self._starts is None:
            return self.regex.search(text)
        return _scan(self.regex, text, text, self._starts, before)


def _scan(
    regex: re.Pattern[str],
    text: str,
    index: str,
    starts: tuple[str, ...],
    before: int | None = None,
) -> re.Match[str] | None:
    """``regex.search(text)`` tried only where ``index`` (``text`` or, position for
    position, its lower case) holds one of ``starts``, with which every match begins."""
    best: re.Match[str] | None = None
    for start in starts:
        at = index.find(start)
        while at >= 0 and (best is None or at < best.start()):
            if before is not None and at > before:
                break
            if match := regex.match(text, at):  # \b and lookbehinds see text[:at]
                best = match
                break
            at = index.find(start, at + 1)
    return best


@cache
def language_patterns(name: str) -> dict[str, tuple[str, ...]]:
    """A ``LANG REGEX  # source`` data file: the patterns of each language code."""
    found: dict[str, list[str]] = {}
    for number, raw in enumerate(data_file(name).read_text("utf-8").splitlines(), 1):
        line = re.split(r"\s+#\s", raw, maxsplit=1)[0].strip()
        if not line or line.startswith("#"):
            continue
        language, _, pattern = line.partition(" ")
        try:
            re.compile(pattern)
        except re.error as exc:  # a shipped data file is broken: a bug, say where
            raise ValueError(f"{name}:{number}: {exc}") from exc
        found.setdefault(language, []).append(pattern.strip())
    return {language: tuple(patterns) for language, patterns in found.items()}


@cache
def any_language_regex(name: str, flags: int = 0) -> re.Pattern[str]:
    """One regex matching any pattern of any language in a ``LANG REGEX`` data file."""
    patterns = [p for group in language_patterns(name).values() for p in group]
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


_LITERAL = re.compile(r"[^\W\d_][\w' ]{2,}")
_GROUP_OF_LITERALS = re.compile(r"\(\?:((?:[\w' ]+\|)*[\w' ]+)\)")


def _guards(pattern: str) -> tuple[str, ...] | None:
    """Literals one of which must occur (lower-cased) for ``pattern`` to match, if it has any.

    A pattern that starts with a word ("unsubscri", "no longer ...") or with a group of plain
    alternatives ("(?:reply|respond)...") can only match where one of them occurs; ``in`` on
    a string is C code, so most patterns are skipped on most drafts without running them.
    A pattern with a top-level "|" gets no guard (its other branches start elsewhere).
    """
    if _has_top_level_bar(pattern):
        return None
    group = _GROUP_OF_LITERALS.match(pattern)
    if group and pattern[group.end() : group.end() + 1] not in ("?", "*", "{"):
        return tuple(alt.lower() for alt in group.group(1).split("|"))
    literal = _LITERAL.match(pattern)
    if literal and pattern[literal.end() : literal.end() + 1] not in ("?", "*", "{"):
        return (literal.group(0).lower(),)
    return None


def _has_top_level_bar(pattern: str) -> bool:
    depth, escaped = 0, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


class GuardedPatterns:
    """Regexes tried one by one, each only when its guard literals occur.

    Two guards, both necessary for a match so skipping changes no result: the hand-shaped
    :func:`_guards` (a leading word or group of words) and the literals
    :func:`required_literals` derives from the parsed pattern, checked on the folded text.
    """

    def __init__(self, patterns: list[str], flags: int) -> None:
        self._patterns = [
            (
                _guards(p),
                required_literals(p, flags),
                leading_literals(p, flags, folded=True),
                re.compile(skippable(p), flags),
            )
            for p in patterns
        ]

    def search(self, text: str, lower: str) -> re.Match[str] | None:
        """First pattern that matches ``text`` (``lower`` is ``text.lower()``).

        On ASCII text ``lower`` lines up with ``text`` character for character, so a pattern
        whose matches all start with a few (folded) literals is tried only where they occur.
        """
        folded = fold_lower(lower)
        aligned = text.isascii()
        for guards, needed, starts, regex in self._patterns:
            if guards is not None and not any(g in lower for g in guards):
                continue
            if not has_all(folded, needed):
                continue
            if starts is not None and aligned:
                match = _scan(regex, text, lower, starts)
            else:
                match = regex.search(text)
            if match:
                return match
        return None


@cache
def language_matcher(name: str, languages: frozenset[str], flags: int = 0) -> GuardedPatterns:
    """The patterns of these languages and English in a ``LANG REGEX`` data file."""
    table = language_patterns(name)
    return GuardedPatterns(
        [p for lang in sorted(languages | {"en"}) for p in table.get(lang, ())], flags
    )


def opens_like_letter(body: str) -> bool:
    """Does the body open with a salutation ("Dear Anna,", "Sehr geehrte", "您好")?"""
    for line in body[:2000].split("\n"):
        line = line.strip()
        if line:
            return bool(any_language_regex("salutations.txt", re.IGNORECASE).match(line))
    return False
