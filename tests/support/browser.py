"""A real headless Chromium (Debian's package) for tests of HTML output, driven over the
DevTools protocol by playwright's Python package (never its own browser downloads).

    page = open_offline(Path("report.html"), tmp_path)
    assert not page.console_errors and not page.blocked_requests
    page.evaluate("document.querySelectorAll('svg').length")

:func:`chromium` installs the ``chromium`` package with apt when it is missing and the suite
runs as root (CI does); otherwise the test fails with one line saying what to run.
Every request other than the page's own file is aborted and recorded, so a test can assert
that the page loads nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = (
    "run `apt-get -o DPkg::Lock::Timeout=600 install -y chromium` as root "
    "(Debian's package; .ci/services does it)"
)
# Without the background-networking flags Chromium tries Google's hosts at every start,
# which this closed machine refuses (and a test must not depend on anyway).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)


def _apt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=600", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=1200,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


def chromium() -> Path:
    """The Chromium binary, installed from Debian's packages first if needed and possible."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        pytest.fail(f"Chromium is not installed: {INSTALL_HINT}", pytrace=False)
    _apt("update", "-qq")
    done = _apt("install", "-y", "-qq", "chromium")
    if done.returncode != 0 or not CHROMIUM.exists():
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        last = lines[-1] if lines else f"exit code {done.returncode}"
        pytest.fail(f"installing Chromium failed ({last}): {INSTALL_HINT}", pytrace=False)
    return CHROMIUM


@dataclass
class OpenPage:
    """A page loaded in Chromium, and what happened while it loaded."""

    page: Any  # playwright.sync_api.Page
    console_errors: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    def evaluate(self, script: str, arg: Any = None) -> Any:
        return self.page.evaluate(script, arg)


@contextmanager
def open_offline(
    path: Path, profile: Path, *, width: int = 1280, height: int = 900
) -> Iterator[OpenPage]:
    """Open a local HTML file in a fresh Chromium profile with every other request refused."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: pip install -e '.[test]'", pytrace=False)
    binary = chromium()
    own = path.resolve().as_uri()
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(binary),
            headless=True,
            args=list(FLAGS),
            viewport={"width": width, "height": height},
        )
        try:
            result = OpenPage(context.pages[0] if context.pages else context.new_page())

            def route(handle: Any) -> None:
                if handle.request.url == own:
                    handle.continue_()
                else:
                    handle.abort()  # recorded by the request event below

            context.route("**/*", route)
            # Routes see http(s) only; the request event sees every scheme (data:, file:).
            result.page.on(
                "request",
                lambda request: (
                    result.blocked_requests.append(request.url)
                    if request.url != own and request.url not in result.blocked_requests
                    else None
                ),
            )
            result.page.on(
                "console",
                lambda message: (
                    result.console_errors.append(message.text) if message.type == "error" else None
                ),
            )
            result.page.on("pageerror", lambda error: result.console_errors.append(str(error)))
            result.page.goto(own, wait_until="load")
            yield result
        finally:
            context.close()


__all__ = ["CHROMIUM", "FLAGS", "OpenPage", "chromium", "open_offline"]
