"""Issue 12 item 5: the linter's speed-ups give exactly the answers of the code they replace.

The pruned pyphen walk (lint/readability.py) must find the same hyphenation points as pyphen's
own walk, word by word; the uncompressed copy of py3langid's model (lint/model_cache.py) must
classify as py3langid's own loader does, and a missing, damaged or unwritable cache must only
cost time.
"""

from __future__ import annotations

from pathlib import Path

import pyphen
import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from preflight.lint import model_cache, readability
from preflight.lint.language import _LATIN

# Words of several shapes: plain, long compounds, apostrophes, digits, accents, one letter.
WORDS = [
    "the",
    "valve",
    "bodies",
    "we",
    "cast",
    "for",
    "pump",
    "makers",
    "ship",
    "within",
    "three",
    "weeks",
    "hyphenation",
    "unsubscribe",
    "don't",
    "o'clock",
    "2024",
    "x",
    "a",
    "antidisestablishmentarianism",
    "Rechtsschutzversicherung",
    "Ventilgehäuse",
    "Donaudampfschifffahrtsgesellschaft",
    "représentation",
    "électricité",
    "internationalisation",
    "über",
    "straße",
    "mañana",
    "pingüino",
    "naïve",
    "coöperate",
    "ß",
]

TEXTS = (
    "We cast stainless valve bodies for pump makers and ship within three weeks.",
    "Wir gießen Ventilgehäuse aus Edelstahl für Pumpenhersteller in Deutschland.",
    "Fabricamos cuerpos de válvulas de acero inoxidable para fabricantes de bombas.",
    "Nous fabriquons des corps de vannes en acier inoxydable pour les fabricants.",
    "Produzimos corpos de válvulas em aço inoxidável para fabricantes de bombas.",
    "Produciamo corpi valvola in acciaio inox per i produttori di pompe in Italia.",
    "Paslanmaz çelik vana gövdeleri üretiyor ve üç hafta içinde teslim ediyoruz.",
)


def _words() -> list[str]:
    made = [w + suffix for w in WORDS for suffix in ("", "s", "ing", "ungen")]
    return list(dict.fromkeys(made))


@pytest.mark.parametrize("language", ["en", "de", "fr", "es", "it", "ru"])
@pytest.mark.parametrize("prune_after", [1, 10_000])
def test_pruned_walk_finds_pyphens_points(
    language: str, prune_after: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readability, "_PRUNE_AFTER", prune_after)
    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    theirs, ours = pyphen.HyphDict(path), pyphen.HyphDict(path)
    readability._prune_pattern_walk(ours)
    for word in _words():
        expected = theirs.positions(word)
        got = ours.positions(word)
        assert got == expected, word
        assert [p.data for p in got] == [p.data for p in expected], word
        assert ours.positions(word) == expected  # the remembered answer too


def test_readability_scores_are_pyphens(monkeypatch: pytest.MonkeyPatch) -> None:
    text = " ".join(TEXTS[:1] * 3)
    score = readability.readability(text, "en")
    assert score is not None
    from textstat.textstat import textstatistics

    plain = textstatistics()
    plain.set_lang("en")
    english = pyphen.LANGUAGES[pyphen.language_fallback("en")]
    plain.pyphen.hd = pyphen.HyphDict(english)  # pyphen's own walk, not the shared pruned one
    assert score.score == plain.flesch_reading_ease(text)


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    identifier.set_languages(list(_LATIN))
    return identifier


def test_cached_model_classifies_as_py3langid(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: LanguageIdentifier
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path / "cache"))
    first = model_cache.load_identifier(_LATIN)  # py3langid's loader, then the copy is written
    written = list((tmp_path / "cache").glob("langid-*.npz"))
    assert len(written) == 1

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached copy was not used")

    monkeypatch.setattr(LanguageIdentifier, "from_model_file", classmethod(refuse))
    second = model_cache.load_identifier(_LATIN)
    assert isinstance(second.tk_nextmove, memoryview)  # the table is mapped, not read
    assert sorted(second.nb_classes) == sorted(_LATIN)
    for text in TEXTS:
        assert first.classify(text) == reference.classify(text)
        assert second.classify(text) == reference.classify(text), text


def test_damaged_cache_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: LanguageIdentifier
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path))
    from py3langid.langid import MODEL_DIR

    target = model_cache._cache_file(MODEL_DIR / MODEL_FILE, _LATIN)
    assert target is not None
    target.write_bytes(b"PK\x03\x04 not a model at all")
    identifier = model_cache.load_identifier(_LATIN)
    assert identifier.classify(TEXTS[1]) == reference.classify(TEXTS[1])
    assert target.stat().st_size > 1_000_000  # rewritten whole
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.parametrize("damage", ["missing", "short", "empty"])
def test_damaged_transition_table_falls_back(
    damage: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: LanguageIdentifier
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path))
    from py3langid.langid import MODEL_DIR

    model_cache.load_identifier(_LATIN)  # writes both files
    arrays = model_cache._cache_file(MODEL_DIR / MODEL_FILE, _LATIN)
    assert arrays is not None
    table = model_cache._transitions_file(arrays)
    size = table.stat().st_size
    if damage == "missing":
        table.unlink()
    else:
        table.write_bytes(table.read_bytes()[: size // 2] if damage == "short" else b"")
    identifier = model_cache.load_identifier(_LATIN)  # py3langid's loader again, no error
    assert not isinstance(identifier.tk_nextmove, memoryview)
    assert identifier.classify(TEXTS[1]) == reference.classify(TEXTS[1])
    assert table.stat().st_size == size  # rewritten whole
    assert isinstance(model_cache.load_identifier(_LATIN).tk_nextmove, memoryview)


def test_cache_off_or_unwritable_costs_only_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", "")
    assert model_cache.cache_dir() is None
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(blocker / "cache"))
    identifier = model_cache.load_identifier(_LATIN)  # mkdir fails: no cache, no error
    assert identifier.classify(TEXTS[0])[0] == "en"
    assert not (blocker.parent / "cache").exists()


@pytest.mark.parametrize("language", ["en", "de"])
def test_cached_hyphenation_table_is_pyphens(
    language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path))
    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    parsed = model_cache.hyphenation_dictionary(path)  # parses, then writes the table
    assert len(list(tmp_path.glob("pyphen-*.json"))) == 1
    monkeypatch.setattr(pyphen.HyphDict, "__init__", None)  # parsing again would fail
    cached = model_cache.hyphenation_dictionary(path)
    assert cached.patterns == parsed.patterns
    assert cached.maxlen == parsed.maxlen
    assert [cached.positions(w) for w in _words()] == [parsed.positions(w) for w in _words()]


def test_damaged_hyphenation_table_is_parsed_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path))
    path = pyphen.LANGUAGES[pyphen.language_fallback("en")]
    target = model_cache._keyed("pyphen", "pyphen", path, path.stem + ".json")
    assert target is not None
    target.write_text('{"maxlen": 5, "patterns": {"ab": [0, "x"]}}')
    dictionary = model_cache.hyphenation_dictionary(path)
    assert dictionary.patterns == pyphen.HyphDict(path).patterns
