"""The phrase lists' word index (lint/text.py ``_indexed``) equals the regex it replaced.

Words are built from UTF-8 bytes with ASCII separators made spaces; the regex ``[^\\W_]+``
over the normalised text is the definition. Both must give the same set on any text.
"""

from __future__ import annotations

import random
from pathlib import Path

from preflight.draft import read_draft
from preflight.lint.text import _TOKEN_RE, _indexed, normalise, phrase_files, phrase_list

TRICKY = [
    "",
    " ",
    "FREE!!! Act now -- don't wait",
    "don’t “quote” e-mail x_y __init__ naïve café Straße",
    "Привет, мир! Скидка 50%",
    "限时优惠，立即购买！免费 free 试用",
    "مرحبا بكم في عرضنا الخاص",
    "emoji 🎉party🎉 ½ ² ٣ 3rd\u00a0nbsp\u3000ideo",
    "tab\tnew\nline\r\x0b\x0c\x1c\x1d\x85end",
    "İstanbul ıi ſs K Σίσυφος ΣΑΣ",
    "a\u0301b combining, ﬁ ligature, ＦＵＬＬ width",
]


def _reference(text: str) -> tuple[str, frozenset[str]]:
    norm = normalise(text)
    return norm, frozenset(_TOKEN_RE.findall(norm))


def test_index_equals_the_regex_on_tricky_texts() -> None:
    rng = random.Random(12)
    alphabet = "".join({c for t in TRICKY for c in t}) + "!?.,;:-_'’/\\@#$%&*()[]"
    texts = [*TRICKY]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    for text in texts:
        assert _indexed(text.lower()) == _reference(text), text


def test_index_equals_the_regex_on_corpus_texts(shared_dir: Path) -> None:
    paths = sorted((shared_dir / "corpora" / "spam-draft").rglob("*.eml"))
    for path in random.Random(3).sample(paths, 200):
        text = read_draft(path).all_text
        assert _indexed(text.lower()) == _reference(text), path


def test_phrase_words_must_all_be_there() -> None:
    spam = phrase_list(*phrase_files("spam", frozenset({"en"})))
    assert [h.phrase for h in spam.find("This is not spam, honestly.")] == [
        "this is not spam",
        "not spam",
    ]
    assert spam.find("this is not what you think: no spam") == []
    assert [h.phrase for h in spam.find("Click HERE now")] == ["click here"]
