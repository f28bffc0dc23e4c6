"""A sample of the shared spam/ham corpus (draft view): it parses, and the scores separate.

The full benchmark is ``bench/lint_corpus.py``; this is a fast, fixed sample that would catch a
rule or weight change that breaks the ranking. The corpus is read where it lives (../shared);
it is never copied into the repository.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

from preflight.draft import read_draft
from preflight.lint.linter import lint_draft

SAMPLE_PER_CLASS = 60


def _sample(shared_dir: Path) -> list[tuple[Path, str, str]]:
    corpus = shared_dir / "corpora" / "spam-draft"
    with (corpus / "labels.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    rng = random.Random(2002)
    picked = []
    for label in ("spam", "ham"):
        of_label = [r for r in rows if r["label"] == label]
        picked += rng.sample(of_label, SAMPLE_PER_CLASS)
    return [(corpus / r["file"], r["label"], r["source"]) for r in picked]


def _auc(spam: list[float], ham: list[float]) -> float:
    wins = sum(1.0 if s > h else 0.5 if s == h else 0.0 for s in spam for h in ham)
    return wins / (len(spam) * len(ham))


def test_corpus_sample_scores_separate_spam_from_ham(shared_dir: Path) -> None:
    scores: dict[str, list[float]] = {"spam": [], "ham": []}
    for path, label, _ in _sample(shared_dir):
        scores[label].append(lint_draft(read_draft(path)).score)
    assert _auc(scores["spam"], scores["ham"]) >= 0.9
    flagged_ham = sum(s >= 5.0 for s in scores["ham"]) / len(scores["ham"])
    caught_spam = sum(s >= 5.0 for s in scores["spam"]) / len(scores["spam"])
    assert flagged_ham <= 0.05
    assert caught_spam >= 0.45


def test_easy_ham_in_the_sample_passes(shared_dir: Path) -> None:
    for path, _, source in _sample(shared_dir):
        if source.endswith("easy_ham"):
            report = lint_draft(read_draft(path))
            assert report.passed, f"{path.name}: {[f.code for f in report.findings]}"


def test_corpus_messages_have_no_message_id_and_that_rule_is_minor(shared_dir: Path) -> None:
    # The draft view strips Message-ID from everything: the rule must not decide the result.
    for path, _, _ in _sample(shared_dir)[:20]:
        report = lint_draft(read_draft(path))
        missing = [f for f in report.findings if f.code == "STR510"]
        assert len(missing) == 1 and missing[0].points <= 0.2


def test_shipped_templates_pass_with_a_low_score() -> None:
    from preflight.draft import Draft
    from preflight.message import build_message
    from preflight.resources import shipped_dir
    from preflight.templates import load_template, sample_row

    templates = sorted(shipped_dir("templates").glob("*.j2"))
    assert templates, "no shipped templates found"
    for path in templates:
        template = load_template(path)
        rendered = template.render(sample_row(template.variables))
        msg = build_message(
            rendered,
            from_addr="Li Wei <li.wei@hangzhou-valves.com>",
            to_addr="anna@nordic-pumps.se",
        )
        draft = Draft.from_message(msg, str(path), rendered.personalization)
        report = lint_draft(draft)
        assert report.score < 1.0, f"{path.name}: {[f.code for f in report.findings]}"
        assert "WRT703" not in {f.code for f in report.findings}  # they are personalised
