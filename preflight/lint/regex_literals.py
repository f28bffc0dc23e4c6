"""What a regex needs from a text before it can match: literals read from re's own parser.

A pattern's required literals (one string of every set must occur), the literals a match can
start with, its top-level alternatives, and a rewrite of leading counted repeats that re can
skip to. The lint rules use them to leave most regexes unrun on most drafts (``in`` and
``find`` are C code); every derivation errs towards "needs nothing", so a guard can only ever
skip a regex that could not have matched (tests/lint_rules/test_rule_guards.py).

``re._parser`` is CPython's own (private) parser module (3.11 and later), used so that a
pattern is read exactly as the engine reads it; the tests run every shipped pattern through
both the guard and the regex, so a change of its node shapes in a new Python shows there.
"""

from __future__ import annotations

import re
import re._constants as _c
import re._parser as _parser
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

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


def has_all(text: str, needed: Needed) -> bool:
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
