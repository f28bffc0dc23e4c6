"""The readability rule's speed-ups give exactly pyphen's and textstat's answers.

``_Walk`` (lint/readability.py) must find pyphen's hyphenation points word by word, pruned or
not, from a parsed dictionary or from the cache file (lint/model_cache.py); a damaged cache
file must only cost time; textstat must not import ``pkg_resources`` until it uses it.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pyphen
import pytest

from preflight.lint import model_cache, readability

LANGUAGES = ["en_US", "en", "de", "fr", "es", "it", "ru"]

FIXED = [
    "the",
    "hyphenation",
    "unsubscribe",
    "don't",
    "2024",
    "x",
    "",
    "antidisestablishmentarianism",
    "Donaudampfschifffahrtsgesellschaft",
    "Rechtsschutzversicherungsgesellschaften",
    "électricité",
    "straße",
    "İstanbul",  # lower() makes it longer
    "ǅemal",
    "中文字",
    "a" * 80,
    "hyphenation" * 30,  # more letter gaps than the precomputed odd fields cover
    "Rechtsschutzversicherungsgesellschaften" * 8,
]


def _words(patterns: dict[str, object], count: int = 1500) -> list[str]:
    """Words made of pieces of the dictionary's own patterns: they meet many patterns."""
    pieces = [key.strip(".") for key in patterns if key.strip(".")]
    chance = random.Random(702)
    made = ["".join(chance.choices(pieces, k=chance.randint(1, 5))) for _ in range(count)]
    return list(dict.fromkeys(FIXED + made))


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("prune_after", [1, 50, 100_000])
def test_walk_finds_pyphens_points(
    language: str, prune_after: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readability, "_PRUNE_AFTER", prune_after)
    theirs = pyphen.HyphDict(pyphen.LANGUAGES[pyphen.language_fallback(language)])
    table = model_cache.HyphenationTable.of(theirs.patterns)
    assert table is not None
    walk = readability._Walk(table)
    for word in _words(theirs.patterns):
        assert walk(word.lower()) == theirs.positions(word), word


@pytest.mark.parametrize("language", ["en", "de", "ru"])
def test_kept_points_are_pyphens_positions(language: str) -> None:
    hyphenator = pyphen.Pyphen(lang=language)
    table = model_cache.HyphenationTable.of(hyphenator.hd.patterns)
    assert table is not None
    walk = readability._Walk(table)
    words = _words(hyphenator.hd.patterns, 500)
    for word in words + [w.upper() for w in words] + [w.title() for w in words]:
        kept = readability._kept_points(walk, hyphenator.left, hyphenator.right, word)
        assert kept == hyphenator.positions(word), word


@pytest.mark.parametrize("language", ["en", "de"])
def test_cached_table_walks_as_pyphen(
    language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(readability, "_PRUNE_AFTER", 20)
    path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
    theirs = pyphen.HyphDict(path)
    model_cache.hyphenation_dictionary(path)  # parses, then writes the table
    assert len(list(tmp_path.glob("pyphen-*.table.json"))) == 1
    monkeypatch.setattr(pyphen.HyphDict, "__init__", None)  # parsing again would fail
    cached = model_cache.hyphenation_dictionary(path)
    assert cached.maxlen == theirs.maxlen
    ours = model_cache.hyphenation_table(cached)
    assert ours is not None
    derived = model_cache.HyphenationTable.of(theirs.patterns)
    assert derived is not None
    assert ours.digits == derived.digits
    walk = readability._Walk(ours)
    for word in _words(theirs.patterns, 400):
        assert walk(word.lower()) == theirs.positions(word), word
        assert cached.positions(word) == theirs.positions(word), word  # pyphen's own walk
    assert cached.patterns == theirs.patterns


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.update(digits=p["digits"].replace("1", "3", 1)),  # digest no longer fits
        lambda p: p.update(digits=p["digits"] + "x", sha256=None),
        lambda p: p.update(format="preflight-hyphenation-1"),
        lambda p: p.update(maxlen="5"),
        lambda p: p.pop("keys"),
    ],
)
def test_damaged_table_is_parsed_again(
    damage: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFLIGHT_CACHE_DIR", str(tmp_path))
    path = pyphen.LANGUAGES[pyphen.language_fallback("fr")]
    model_cache.hyphenation_dictionary(path)
    (written,) = tmp_path.glob("pyphen-*.table.json")
    payload = json.loads(written.read_text())
    damage(payload)  # type: ignore[operator]
    written.write_text(json.dumps(payload))
    assert model_cache._read_table(written) is None
    dictionary = model_cache.hyphenation_dictionary(path)
    assert type(dictionary) is pyphen.HyphDict  # parsed by pyphen, file written again
    assert model_cache._read_table(written) is not None
    written.write_bytes(b"\x00\xff not json")
    assert model_cache._read_table(written) is None


def test_scores_are_textstats_with_pyphens_walk() -> None:
    from textstat.textstat import textstatistics

    texts = {
        "en": "We cast stainless valve bodies for pump makers. Our lead time is three weeks.",
        "de": "Wir gießen Ventilgehäuse aus Edelstahl. Die Lieferzeit beträgt drei Wochen.",
        "fr": "Nous fabriquons des corps de vannes. Le délai de livraison est de trois semaines.",
        "es": "Fabricamos cuerpos de válvulas de acero. Entregamos en tres semanas a Suecia.",
        "it": "Produciamo corpi valvola in acciaio inox. Consegniamo in tre settimane.",
        "ru": "Мы отливаем корпуса клапанов из нержавеющей стали. Срок поставки три недели.",
        "ar": "نحن نصنع أجسام الصمامات من الفولاذ المقاوم للصدأ. مدة التسليم ثلاثة أسابيع.",
    }
    extra = [
        "Don't miss it!!! 50% OFF -- today only: <b>click</b> http://x.example/a?b=c&d=e #deal",
        "Hi {{first_name}},\n\nWe've got (3) offers; you'll like them... re: your e-mail?",
        "",
        "...",
        "A\x1cB\x1fC\tD\x0bE_F `G` ~H~ |I|",
    ]
    for language, text in texts.items():
        for sample in [text * 3, *(e + " " + text for e in extra), *extra]:
            plain = textstatistics()  # textstat's own punctuation pass and pyphen's walk
            if language != "ar":
                plain.set_lang(language)
                path = pyphen.LANGUAGES[pyphen.language_fallback(language)]
                plain.pyphen.hd = pyphen.HyphDict(path)
            method = readability.FORMULAS[language][1]
            try:
                expected = getattr(plain, method)(sample[:600])
            except ZeroDivisionError:  # textstat's Osman on a text without words
                with pytest.raises(ZeroDivisionError):
                    readability.readability(sample, language)
                continue
            score = readability.readability(sample, language)
            assert score is not None
            assert score.score == expected, (language, sample)


def test_textstat_imports_pkg_resources_only_when_used() -> None:
    script = (
        "import sys\n"
        "from preflight.lint.readability import readability\n"
        "readability('We cast valve bodies for pump makers. They ship in weeks.', 'en')\n"
        "assert 'pkg_resources' not in sys.modules\n"
        "t = sys.modules['textstat.textstat']\n"
        "assert t.pkg_resources.resource_stream\n"  # the real module, imported now
        "import pkg_resources\n"
        "assert pkg_resources is sys.modules['pkg_resources']\n"
        "assert type(pkg_resources).__name__ == 'module'\n"
        "assert t.textstatistics().difficult_words('extraordinary words') >= 1\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True)


def test_punctuation_removed_as_textstat_does() -> None:
    import re

    def textstats(text: str) -> str:
        return re.sub(r"[^\w\s]", "", text)

    chance = random.Random(7)
    alphabet = [chr(c) for c in range(128)] + list("éßçñü’“”–—…€中文\u00a0\u2028\u200b٣")
    texts = [chr(c) for c in range(128)] + [
        "".join(chance.choices(alphabet[:128] if n % 2 else alphabet, k=chance.randint(0, 80)))
        for n in range(3000)
    ]
    for text in texts:
        assert readability._without_punctuation(textstats, text) == textstats(text), repr(text)
