"""Time and peak memory of `preflight lint` on hostile drafts under the 64 MB limit.

Each shape is written to a temporary file and linted in a fresh process under GNU time
(wall seconds, peak RSS). The peer in the same run is the stdlib email parser alone on the
same file (parse, and decode each text part with its declared charset), which is what `lint`
would cost without its caps (issue 10 item 8: 15 million
`X:` headers took 70 s and 3.3 GB). Everything stays on this machine.

    .venv/bin/python bench/lint_large_drafts.py            # the peer on 3-million-line files
    .venv/bin/python bench/lint_large_drafts.py --full     # the peer on the full 15 million
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAD = b"From: Li Wei <li.wei@example.com>\r\nTo: anna@example.net\r\nSubject: x\r\n"


def shapes(lines: int) -> dict[str, bytes]:
    return {
        f"{lines:,} X: header lines": HEAD + b"X:\r\n" * lines + b"\r\nHello\r\n",
        "400 KB text part, charset=punycode": HEAD
        + b"Content-Type: text/plain; charset=punycode\r\n\r\n"
        + b"abcdefghij-" * 40_000,
        f"{lines // 10:,} folded continuation lines": HEAD
        + b"X-Long: a\r\n"
        + b" b\r\n" * (lines // 10)
        + b"\r\nHello\r\n",
    }


def measure(cmd: list[str]) -> tuple[float, int]:
    out = Path(tempfile.mkstemp(prefix="bench-time-")[1])
    subprocess.run(
        ["/usr/bin/time", "-o", str(out), "-f", "%e %M", *cmd],
        capture_output=True,
        check=False,
        timeout=600,
    )
    seconds, kilobytes = out.read_text().split()[-2:]
    out.unlink()
    return float(seconds), int(kilobytes) // 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="peer on 15 million lines too")
    args = parser.parse_args()
    print(f"machine load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    preflight = str(ROOT / ".venv" / "bin" / "preflight")
    # The peer parses and decodes each text part with its declared charset, as lint did.
    peer = (
        "import email,sys\n"
        "m = email.message_from_bytes(open(sys.argv[1], 'rb').read())\n"
        "for p in m.walk():\n"
        "    if not p.is_multipart():\n"
        "        p.get_payload(decode=True).decode(p.get_content_charset() or 'ascii', 'replace')\n"
    )
    with tempfile.TemporaryDirectory() as folder:
        for lines in (15_000_000, 3_000_000):
            for name, data in shapes(lines).items():
                if lines == 15_000_000 and "punycode" in name:
                    continue  # the same file at both sizes
                path = Path(folder) / "draft.eml"
                path.write_bytes(data)
                ours = measure([preflight, "lint", "--exit-zero", str(path)])
                line = f"{name:42} lint {ours[0]:6.2f} s {ours[1]:5d} MB"
                if lines == 3_000_000 or args.full:
                    theirs = measure([sys.executable, "-c", peer, str(path)])
                    line += f"   stdlib parser alone {theirs[0]:6.2f} s {theirs[1]:5d} MB"
                print(line)


if __name__ == "__main__":
    main()
