"""Shared helpers for the lint CLI tests: writing drafts, templates and configs to tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.cli import app

PROJECT_ROOT = Path(__file__).resolve().parents[2]

GOOD_EML = """\
From: Li Wei <li.wei@brightline.example>
To: Anna Berg <anna@nordlicht.example>
Subject: Pipe fittings for Nordlicht
Date: Mon, 02 Nov 2026 09:30:00 +0000
Message-ID: <20261102093000.1@brightline.example>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"

Hi Anna,

I'm Li Wei from Ningbo Brightline Industrial. We machine stainless steel pipe
fittings for distributors in Europe, and I saw that Nordlicht supplies food plants.

Would a one-page spec sheet and our lead times be useful?

Best regards,
Li Wei
No. 88 Jiangnan Road, Ningbo 315000, China

If you would rather not hear from me, reply "no thanks" and I will not write again.
"""

SPAMMY_EML = """\
From: BEST DEALS <deals4u1234@gmail.com>
To: friend@example.com
Subject: RE: FREE MONEY!!! 100% FREE - ACT NOW!!!
Date: Mon, 02 Nov 2026 09:30:00 +0000
Message-ID: <x1@gmail.com>
MIME-Version: 1.0
Content-Type: text/html; charset="utf-8"

<html><body>
<p>DEAR FRIEND!!! CLICK HERE TO CLAIM YOUR $1,000,000 PRIZE!!! BUY NOW!!! 100% FREE!!!</p>
<p><a href="http://192.168.1.1/claim">http://www.paypal.com/secure</a>
<a href="http://bit.ly/xyz">CLICK HERE</a> <a href="http://tinyurl.com/abc">ACT NOW</a></p>
<p style="display:none">cheap price viagra casino winner</p>
<img src="http://192.168.1.1/banner.jpg">
<p>Limited time offer! Act now! Cheap price! 免费 优惠 紧急! Save 90% off!!!</p>
</body></html>
"""

TEMPLATE = """\
Subject: Pipe fittings for {{ company }}

Hi {{ first_name }},

I'm Li Wei from Ningbo Brightline Industrial. We machine stainless steel pipe
fittings for distributors in Europe, and I saw that {{ company }} supplies food plants.

Would a one-page spec sheet and our lead times be useful?

Best regards,
Li Wei
No. 88 Jiangnan Road, Ningbo 315000, China

If you would rather not hear from me, reply "no thanks" and I will not write again.
"""


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` to ``tmp_path / name`` (UTF-8 unless bytes are given) and return the path."""

    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., object]:
    """Invoke the real typer app in ``tmp_path`` (so no project config is picked up)."""
    monkeypatch.chdir(tmp_path)
    # An empty config here stops the upward search: no stray preflight.toml changes results.
    (tmp_path / "preflight.toml").write_text("", encoding="utf-8")
    runner = CliRunner()

    def _run(*args: str):  # type: ignore[no-untyped-def]
        return runner.invoke(app, list(args))

    return _run
