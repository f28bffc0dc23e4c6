"""Our dependencies' models in the form we use, kept in the user's cache folder between runs.

**py3langid** ships its model LZMA-compressed (4.6 MB → 68 MB): unpacking it costs about 0.45 s of
CPU in every process that needs the model, more than the rest of language identification over
the 2,250 corpus drafts. The first process that loads the model therefore writes the same
arrays, already restricted to our languages, uncompressed to the user's cache folder: the
tokenizer's 39 MB transition table as a raw file that later processes map into memory (the
pages a text walks are read when it walks them), the rest (2.5 MB) as an ``.npz``. Reading
them costs about 0.03 s instead of 0.24 s for one ``.npz`` of everything, which numpy can only
read through zipfile. The cache is only ever derived data: it is keyed on py3langid's version
and the model file's size and time, written atomically (the table first, the ``.npz`` that
names its length last), read without pickle, and any problem with it (no folder, full disk, a
damaged, short or foreign file) falls back to py3langid's own loader. ``PREFLIGHT_CACHE_DIR``
moves it; an empty value turns it off.

**pyphen** parses a hyphenation dictionary's text patterns in every process (German's 66,000:
0.5 s of CPU; English 0.05 s, and textstat opens en_US as well as en_GB, which pyphen gives for
"en"): the parsed table is kept as JSON under the same rules, as two strings (the patterns and
their values as digits, one a line) with their SHA-256, so that reading it is a few C-speed
passes and one dict (German 0.03-0.05 s, English 0.01 s; the older form, a list per pattern
checked value by value, took 0.25 s for German). pyphen's own ``patterns`` are made from it
only if pyphen's walk is used (lint/readability.py has its own).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import re
import sys
import tempfile
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO

_KEYS = ("ptc", "pc", "classes", "nextmove_count", "nextmove_itemsize", "nextmove_row", "out_feat")


def cache_dir() -> Path | None:
    """Where derived data goes: ``PREFLIGHT_CACHE_DIR``, else the platform's cache folder."""
    configured = os.environ.get("PREFLIGHT_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    import platformdirs

    return Path(platformdirs.user_cache_dir("preflight"))


def _keyed(prefix: str, package: str, source: Path, tail: str) -> Path | None:
    """The cache file for ``source`` (a new name whenever the package or the file changes)."""
    folder = cache_dir()
    if folder is None:
        return None
    stat = source.stat()
    return folder / f"{prefix}-{version(package)}-{stat.st_size}-{stat.st_mtime_ns}-{tail}"


def _cache_file(model: Path, languages: Sequence[str]) -> Path | None:
    return _keyed("langid", "py3langid", model, "-".join(languages) + ".mapped.npz")


def _transitions_file(arrays: Path) -> Path:
    """The tokenizer's transition table beside the other arrays: raw, to be mapped."""
    return arrays.with_name(arrays.name.removesuffix(".npz") + f".{sys.byteorder}.bin")


def _as_array(values: Any, typecode: str) -> array[int]:
    import numpy as np

    out = array(typecode)
    out.frombytes(memoryview(np.ascontiguousarray(values, dtype=f"=u{out.itemsize}")).cast("B"))
    return out


def _mapped(path: Path, typecode: str, count: int) -> memoryview | None:
    """``count`` items of ``typecode`` from ``path``, mapped read-only (pages read on use)."""
    with path.open("rb") as fh:
        if os.fstat(fh.fileno()).st_size != count * array(typecode).itemsize or not count:
            return None
        mapping = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
    return memoryview(mapping).cast(typecode)  # the view keeps the mapping open


def _read(path: Path) -> Any | None:
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    try:
        with np.load(path, allow_pickle=False) as data:
            if sorted(data.files) != sorted(_KEYS):
                return None
            row = data["nextmove_row"]
            typecode = "I" if int(data["nextmove_itemsize"]) == 4 else "L"
            transitions = _mapped(_transitions_file(path), typecode, int(data["nextmove_count"]))
            if transitions is None:
                return None
            return LanguageIdentifier(
                np.asarray(data["ptc"]),
                np.asarray(data["pc"]),
                [str(c) for c in data["classes"].tolist()],
                transitions,
                data["out_feat"].tolist(),
                norm_probs=False,
                tk_row=_as_array(row, "H" if row.dtype.itemsize == 2 else "I"),
            )
    except Exception:  # OSError, ValueError, EOFError, zipfile's BadZipFile, KeyError ...
        return None  # whatever is wrong with a cache file, py3langid's own loader decides


def _write(path: Path, identifier: Any) -> None:
    import numpy as np

    nextmove, row = identifier.tk_nextmove, identifier.tk_row
    arrays = {
        "ptc": identifier.nb_ptc,
        "pc": identifier.nb_pc,
        "classes": np.array(identifier.nb_classes),
        "nextmove_count": np.array(len(nextmove)),
        "nextmove_itemsize": np.array(nextmove.itemsize),
        "nextmove_row": np.frombuffer(row, dtype=f"u{row.itemsize}"),
        "out_feat": np.array(identifier.tk_output),
    }
    # The table first: the arrays file, written last, is what says the cache is complete.
    if _write_atomically(_transitions_file(path), lambda fh: fh.write(memoryview(nextmove))):
        _write_atomically(path, lambda fh: np.savez(fh, **arrays))


def _write_atomically(path: Path, write: Callable[[BinaryIO], object]) -> bool:
    """Write ``path`` whole or not at all; False when it could not be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return False  # no cache this time: the next process tries again
    try:
        with os.fdopen(handle, "wb") as fh:
            write(fh)
        os.replace(temporary, path)  # readers see the old state or the whole file
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return False
    return True


def load_identifier(languages: Sequence[str]) -> Any:
    """py3langid's identifier restricted to ``languages`` (raw scores, as ``classify`` gives)."""
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    model = MODEL_DIR / MODEL_FILE
    try:
        cached = _cache_file(model, languages)
    except OSError:
        cached = None
    if cached is not None and cached.is_file():
        identifier = _read(cached)
        if identifier is not None and sorted(identifier.nb_classes) == sorted(languages):
            return identifier
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    identifier.set_languages(list(languages))
    if cached is not None:
        _write(cached, identifier)
    return identifier


def preload_hyphenation(language: str) -> None:
    """Put ``language``'s parsed pyphen dictionary where pyphen looks first (its own cache)."""
    import pyphen

    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    if path not in pyphen.hdcache:
        pyphen.hdcache[path] = hyphenation_dictionary(path)


@dataclass
class HyphenationTable:
    """A dictionary's patterns as strings of digits, the form its cache file keeps.

    ``digits`` maps a pattern to its values from its first letter, one digit a letter ("0"
    where pyphen keeps none: ``.ab3c`` is "0003"), trailing zeros trimmed.
    """

    maxlen: int
    digits: dict[str, str]

    @classmethod
    def of(cls, patterns: dict[str, tuple[int, tuple[Any, ...]]]) -> HyphenationTable | None:
        """The table of pyphen's parsed ``patterns``; None for nonstandard hyphenation."""
        # Values carrying data (e.g. Hungarian "ssz/sz=sz") are not plain digits.
        if not patterns or not all(type(v) is int for _, vs in patterns.values() for v in vs):
            return None
        digits = {
            key: "0" * start + "".join(map(str, values))
            for key, (start, values) in patterns.items()
        }
        return cls(max(map(len, digits)), digits)

    def patterns(self) -> dict[str, tuple[int, tuple[int, ...]]]:
        """The table as pyphen's ``HyphDict.patterns`` (offset, values)."""
        out = {}
        for key, digits in self.digits.items():
            start = len(digits) - len(digits.lstrip("0"))
            out[key] = start, tuple(map(int, digits[start:]))
        return out


def hyphenation_table(dictionary: Any) -> HyphenationTable | None:
    """``dictionary``'s patterns as strings (read from the cache file when it came from one)."""
    table = getattr(dictionary, "table", None)
    if isinstance(table, HyphenationTable):
        return table
    return HyphenationTable.of(dictionary.patterns)


_HYPHENATION_FORMAT = "preflight-hyphenation-2"


def hyphenation_dictionary(path: Path) -> Any:
    """pyphen's ``HyphDict`` for the dictionary file ``path``, from the cache when it is there."""
    import pyphen

    try:
        cached = _keyed("pyphen", "pyphen", path, path.stem + ".table.json")
    except OSError:
        cached = None
    if cached is not None and cached.is_file():
        table = _read_table(cached)
        if table is not None:
            return _cached_kind()(table)
    dictionary = pyphen.HyphDict(path)
    table = HyphenationTable.of(dictionary.patterns)
    # Nonstandard hyphenation is simply parsed each time.
    if cached is not None and table is not None:
        keys, digits = "\n".join(table.digits), "\n".join(table.digits.values())
        payload = {
            "format": _HYPHENATION_FORMAT,
            "maxlen": table.maxlen,
            "keys": keys,
            "digits": digits,
            "sha256": _digest(keys, digits),
        }
        _write_atomically(cached, lambda fh: fh.write(json.dumps(payload).encode()))
    return dictionary


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _read_table(path: Path) -> HyphenationTable | None:
    # A file written whole by this module is right by construction: the checks are against
    # damage or a foreign file (the digest), and keep every later use to strings of digits.
    try:
        payload = json.loads(path.read_bytes())
        keys, digits = payload["keys"], payload["digits"]
        maxlen = payload["maxlen"]
        if (
            payload["format"] != _HYPHENATION_FORMAT
            or type(maxlen) is not int
            or type(keys) is not str
            or type(digits) is not str
            or payload["sha256"] != _digest(keys, digits)
            or not re.fullmatch(r"[0-9\n]*", digits)
        ):
            return None
        table = dict(zip(keys.split("\n"), digits.split("\n"), strict=True))
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, damaged or foreign: pyphen parses the dictionary itself
    return HyphenationTable(maxlen, table)


@cache
def _cached_kind() -> type:
    import pyphen

    class CachedHyphDict(pyphen.HyphDict):  # type: ignore[misc]
        """A ``HyphDict`` from a cache file: pyphen's own ``patterns`` made on first use."""

        def __init__(self, table: HyphenationTable) -> None:
            # No super().__init__(): HyphDict's __init__ is the parsing being skipped.
            self.table, self.cache, self.maxlen = table, {}, table.maxlen

        @cached_property
        def patterns(self) -> dict[str, tuple[int, tuple[int, ...]]]:
            return self.table.patterns()

    return CachedHyphDict
