"""`preflight lint template.j2` without data: which variables got sample values, which look
like typos, and who the template is rendered from (no false Reply-To finding)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.cli import app

TEMPLATE = """Subject: Fittings for {{ company }}
Reply-To: Li Wei <li.wei@brightline.example>

Hi {{ frist_name }},

I am Li Wei from Ningbo Brightline. We machine stainless steel pipe fittings for
distributors in Europe, and I saw that {{ company }} supplies dairy plants.

Would a one-page spec sheet with our lead times help you? Reply "no" and I will not write
again.

Best regards,
Li Wei
Ningbo Brightline Industrial Co., Ltd., No. 88 Jiangnan Road, Ningbo, China
"""

FAST_PLAN = 'name = "fast"\nhourly_cap = 100\n[[steps]]\nfrom_day = 1\ndaily = 100\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no preflight.toml of the developer's is found
    (tmp_path / "t.j2").write_text(TEMPLATE, encoding="utf-8")
    return tmp_path


def _findings(folder: Path, *args: str) -> dict[str, list[dict[str, object]]]:
    result = CliRunner().invoke(app, ["lint", str(folder / "t.j2"), "--format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    found: dict[str, list[dict[str, object]]] = {}
    for finding in json.loads(result.stdout)[0]["findings"]:
        found.setdefault(str(finding["code"]), []).append(finding)
    return found


def test_lint_lists_sample_values_and_flags_a_likely_typo(folder: Path) -> None:
    result = CliRunner().invoke(app, ["lint", str(folder / "t.j2")])
    assert "variables filled with sample values: company='Nordlicht Handel GmbH', " \
        "frist_name='Frist name'" in result.stdout
    assert "{{ frist_name }} is not a known variable name (did you mean {{ first_name }}?)" \
        in result.stdout
    found = _findings(folder)
    assert [f["points"] for f in found["WRT708"]] == [1.0]
    assert found["WRT707"][0]["points"] == 0.0

    # Spelled right, the finding goes; with real data there are no sample values at all.
    (folder / "t.j2").write_text(TEMPLATE.replace("frist_name", "first_name"), "utf-8")
    found = _findings(folder)
    assert "WRT708" not in found and "first_name='Anna'" in str(found["WRT707"][0]["message"])
    (folder / "r.csv").write_text("email,first_name,company\nanna@x.example,Anna,Acme\n", "utf-8")
    found = _findings(folder, "--recipients", str(folder / "r.csv"))
    assert "WRT707" not in found and "WRT708" not in found


def test_a_lone_template_is_rendered_from_the_configured_sender(folder: Path) -> None:
    # No sender configured: the template's own Reply-To stands in for the placeholder From.
    assert "SND602" not in _findings(folder)

    # A configured sender on another domain: the Reply-To finding is real.
    (folder / "preflight.toml").write_text(
        '[lint]\nsender = "Li Wei <li@other-domain.example>"\n', "utf-8")
    found = _findings(folder)
    assert "other-domain.example" in str(found["SND602"][0]["message"])
    (folder / "preflight.toml").unlink()

    # A campaign beside the template that sends it: its mailbox is the sender.
    (folder / "fast.toml").write_text(FAST_PLAN, "utf-8")
    (folder / "r.csv").write_text("email,first_name,company\n", "utf-8")
    (folder / "campaign.toml").write_text(
        '[campaign]\nname = "c"\ntemplate = "t.j2"\nrecipients = "r.csv"\n'
        '[[mailbox]]\nfrom = "Li Wei <li@mailbox-domain.example>"\nhost = "127.0.0.1"\n'
        'port = 2525\nsecurity = "none"\nwarmup = "fast.toml"\nwarmup_start = 2026-01-05\n',
        "utf-8")
    found = _findings(folder)
    assert "Reply-To goes to brightline.example, From is mailbox-domain.example" in str(
        found["SND602"][0]["message"])
    # --campaign names it explicitly, from anywhere.
    other = folder / "elsewhere"
    other.mkdir()
    (folder / "campaign.toml").rename(other / "campaign.toml")
    assert "SND602" not in _findings(folder)
    (other / "campaign.toml").write_text(
        (other / "campaign.toml").read_text("utf-8").replace('"t.j2"', '"../t.j2"')
        .replace('"r.csv"', '"../r.csv"').replace('"fast.toml"', '"../fast.toml"'), "utf-8")
    found = _findings(folder, "--campaign", str(other / "campaign.toml"))
    assert "From is mailbox-domain.example" in str(found["SND602"][0]["message"])
