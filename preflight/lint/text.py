"""Text helpers the rules share: phrase lists from data files, words, caps, money, domains."""

from __future__ import annotations

import re
import re._constants as _c  # re's own parser: guards read a pattern as the engine does
import re._parser as _parser
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any
from urllib.parse import urlsplit

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
        if not _has_all(text, self._needed):
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
            if not _has_all(folded, needed):
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


# -- literals a regex needs ------------------------------------------------------------------
# A guard derived from the parsed pattern (re's own parser, so it reads the pattern exactly as
# the engine does): a list of sets of strings, one string of every set must occur for the
# regex to match anywhere. Checked with ``in`` (C code), it skips most regexes on most texts.
#
# Folded mode (the default) checks the guards on ``fold_lower(text.lower())``. That is sound
# because text.lower() lowers character by character (only "Σ" looks at its neighbours, and no
# guard character can match it), so a run of literal characters the regex matched shows up,
# lowered, as one run. A literal only contributes when every character it can match lowers
# (and folds) to one known character: case-sensitive literals always (but "Σ" and "İ"); under
# IGNORECASE uncased characters and ASCII letters, whose odd matches (U+0130, U+0131, U+017F,
# U+212A) _FOLD and lower() bring back to the letter. Other cased letters under IGNORECASE
# (Greek, Cyrillic: several have extra case forms) end a literal run instead.
# Exact mode (folded=False) checks the guards on the very text the regex runs on: only
# case-sensitive and uncased literals count, as they are.
_FOLD = str.maketrans({"ı": "i", "ſ": "s", "\u0307": None})
_FOLD_CHARS = ("ı", "ſ", "\u0307")
_MAX_EXACT = 24  # strings an exact piece may stand for before it is cut
_MAX_ALTERNATIVES = 32  # strings in one guard set (each costs an ``in``)
_MAX_GUARDS = 3  # sets checked per pattern: the most selective ones
_MAX_STARTS = 8  # literals a match may start with, each a ``find`` (shorter ones do as well)

Needed = tuple[frozenset[str], ...]
_REPEATS = (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT)
_ATOMIC = _c.ATOMIC_GROUP


def fold_lower(lower: str) -> str:
    """``lower`` (a ``str.lower()`` result) as folded-mode guards are checked on."""
    if lower.isascii() or not any(c in lower for c in _FOLD_CHARS):
        return lower
    return lower.translate(_FOLD)


def _has_all(text: str, needed: Needed) -> bool:
    # Plain loops: nested all(any(...)) generators cost more than the ``in`` checks.
    for alternatives in needed:
        for literal in alternatives:
            if literal in text:
                break
        else:
            return False
    return True


@dataclass(frozen=True)
class _Piece:
    exact: frozenset[str] | None  # every string the piece can match (lowered), if known
    needed: tuple[frozenset[str], ...]  # sets of which one string each must occur


_UNKNOWN = _Piece(None, ())
_EMPTY = _Piece(frozenset({""}), ())


def _char(code: int, ignore_case: bool, folded: bool) -> str | None:
    """The guard character a literal contributes, or None if it cannot be pinned down."""
    char = chr(code)
    uncased = char.lower() == char and char.upper() == char
    if not folded:
        return char if (uncased or not ignore_case) else None
    if char in ("Σ", "\u0307") or len(char.lower()) != 1:
        return None
    if ignore_case and not uncased and not char.isascii():
        return None
    return char.lower().translate(_FOLD) or None


def _best(piece: _Piece) -> frozenset[str] | None:
    options = list(piece.needed)
    if piece.exact is not None and "" not in piece.exact:
        options.append(piece.exact)
    usable = [o for o in options if o and "" not in o and len(o) <= _MAX_ALTERNATIVES]
    return max(usable, key=_quality) if usable else None


def _quality(alternatives: frozenset[str]) -> tuple[int, int]:
    return min(map(len, alternatives)), -len(alternatives)


def _sequence(items: list[tuple[Any, Any]], flags: int, folded: bool) -> _Piece:
    current: frozenset[str] = frozenset({""})
    needed: list[frozenset[str]] = []
    exact = True
    for op, av in items:
        piece = _node(op, av, flags, folded)
        if piece.exact is not None:
            joined = frozenset(a + b for a in current for b in piece.exact)
            if len(joined) <= _MAX_EXACT:
                current = joined
                continue
            needed.append(current)
            current, exact = piece.exact, False
            continue
        needed.append(current)
        needed.extend(piece.needed)
        current, exact = frozenset({""}), False
    needed.append(current)
    valid = tuple(dict.fromkeys(n for n in needed if "" not in n))
    return _Piece(current if exact else None, valid)


def _node(op: Any, av: Any, flags: int, folded: bool) -> _Piece:
    ignore_case = bool(flags & re.IGNORECASE)
    if op is _c.LITERAL:
        char = _char(av, ignore_case, folded)
        return _Piece(frozenset({char}), ()) if char else _UNKNOWN
    if op is _c.IN:
        chars: set[str] = set()
        for kind, value in av:
            if kind is _c.LITERAL:
                codes = [value]
            elif kind is _c.RANGE and value[1] - value[0] < 8:
                codes = list(range(value[0], value[1] + 1))
            else:  # NEGATE, CATEGORY, wide ranges
                return _UNKNOWN
            for code in codes:
                char = _char(code, ignore_case, folded)
                if char is None:
                    return _UNKNOWN
                chars.add(char)
        return _Piece(frozenset(chars), ()) if 0 < len(chars) <= 8 else _UNKNOWN
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _EMPTY  # zero width: the text either side of it is still one run
    if op is _c.SUBPATTERN:
        _group, add, remove, sub = av
        return _sequence(list(sub), (flags | add) & ~remove, folded)
    if op is _ATOMIC:
        return _sequence(list(av), flags, folded)
    if op is _c.BRANCH:
        branches = [_sequence(list(b), flags, folded) for b in av[1]]
        if all(b.exact is not None for b in branches):
            union = frozenset().union(*(b.exact for b in branches if b.exact is not None))
            if len(union) <= _MAX_EXACT:
                return _Piece(union, ())
        picks = [_best(b) for b in branches]
        if any(p is None for p in picks):
            return _UNKNOWN
        union = frozenset().union(*(p for p in picks if p is not None))
        return _Piece(None, (union,))
    if op in _REPEATS:
        low, high, sub = av
        piece = _sequence(list(sub), flags, folded)
        if piece.exact is not None and high <= 3:  # "st\.?", "e-?mail": spelt out
            spelt, power = set(), frozenset({""})
            for count in range(high + 1):
                if count >= low:
                    spelt |= power
                power = frozenset(a + b for a in power for b in piece.exact)
                if len(spelt) > _MAX_EXACT or len(power) > _MAX_EXACT:
                    break
            else:
                return _Piece(frozenset(spelt), ())
        if low == 0:
            return _UNKNOWN
        if low == high == 1:
            return piece
        once = (piece.exact,) if piece.exact is not None and "" not in piece.exact else ()
        return _Piece(None, piece.needed + once)  # it matches at least once
    return _UNKNOWN  # ANY, NOT_LITERAL, CATEGORY, group references, conditionals


@lru_cache(maxsize=512)
def required_literals(pattern: str, flags: int = 0, folded: bool = True) -> Needed:
    """Sets of strings of which one each must occur for ``pattern`` to match (see above).

    Folded mode: in ``fold_lower(text.lower())``; exact mode: in the text itself. An empty
    tuple means no guard could be proved; the caller then always runs the regex.
    """
    if flags & re.LOCALE:  # case folding by the C locale: nothing to prove
        return ()
    try:
        parsed = _parser.parse(pattern, flags)
    except re.error:
        return ()
    piece = _sequence(list(parsed), parsed.state.flags | flags, folded)
    candidates = [n for n in piece.needed if len(n) <= _MAX_ALTERNATIVES and min(map(len, n)) >= 2]
    candidates.sort(key=_quality, reverse=True)
    return tuple(candidates[:_MAX_GUARDS])


def leading_literals(pattern: str, flags: int = 0, folded: bool = False) -> tuple[str, ...] | None:
    """Literals one of which every match of ``pattern`` starts with, or None.

    Exact mode: as they stand in the text; folded mode: lower-cased and folded (see
    :func:`required_literals`). None too when ``re`` has a fast start of its own (a
    case-sensitive pattern opening with a literal or a character class): scanning for the
    literals would only add work there.
    """
    try:
        parsed = _parser.parse(pattern, flags)
    except re.error:
        return None
    items = list(parsed)
    flags = parsed.state.flags | flags
    first = items[0][0] if items else None
    if first in (_c.LITERAL, _c.IN) and not flags & re.IGNORECASE:
        return None
    current: frozenset[str] = frozenset({""})
    for op, av in items:
        piece = _node(op, av, flags, folded)
        if piece.exact is None:
            break
        joined = frozenset(a + b for a in current for b in piece.exact)
        if len(joined) > _MAX_EXACT or (len(joined) > _MAX_STARTS and "" not in current):
            break
        current = joined
    if min(map(len, current)) < 2:
        return None  # one letter starts too many places to be worth the look-ups
    return tuple(sorted(current))


def split_alternatives(pattern: str, flags: int = 0) -> list[str]:
    """``pattern``'s top-level alternatives as patterns of their own, or ``[pattern]``.

    Only split when it is plainly safe: no capturing group (numbers would shift), and re's
    parser sees the same number of top-level alternatives.
    """
    pieces, depth, escaped, in_class, start, class_start = [], 0, False, False, 0, 0
    for at, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = not (char == "]" and at > class_start)
        elif char == "[":
            in_class = True
            class_start = at + 1 + (pattern[at + 1 : at + 2] == "^")  # "[]" and "[^]" hold "]"
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            pieces.append(pattern[start:at])
            start = at + 1
    pieces.append(pattern[start:])
    if len(pieces) == 1:
        return [pattern]
    try:
        parsed = _parser.parse(pattern, flags)
        for piece in pieces:
            re.compile(piece, flags)
    except re.error:
        return [pattern]
    items = list(parsed)
    if parsed.state.groups != 1 or len(items) != 1 or items[0][0] is not _c.BRANCH:
        return [pattern]
    if len(items[0][1][1]) != len(pieces) or flags & re.VERBOSE:
        return [pattern]
    return pieces


# A leading r"\d{1,6}" or r"[A-Z]{2}": one character class repeated, greedy.
_LEADING_REPEAT = re.compile(r"(\\[dDwWsS]|\[(?:\\.|[^\]\\\[])+\])\{(\d+)(?:(,)(\d*))?\}(?![?+])")


def skippable(pattern: str) -> str:
    """``pattern`` with a leading ``X{m,n}`` (m >= 1) written ``XX{m-1,n-1}``: the same matches.

    re cannot skip ahead to a pattern that opens with a repeat and tries a match at every
    position; opening with the class itself, it jumps from one such character to the next.
    Greedy ``X{m,n}`` and ``XX{m-1,n-1}`` take the same counts in the same order.
    """
    found = _LEADING_REPEAT.match(pattern)
    if not found or int(found.group(2)) < 1:
        return pattern
    atom, low, comma, high = found.groups()
    if comma and high:
        rest = f"{{{int(low) - 1},{int(high) - 1}}}"
    elif comma:
        rest = f"{{{int(low) - 1},}}"
    else:
        rest = f"{{{int(low) - 1}}}"
    return atom + atom + rest + pattern[found.end() :]
