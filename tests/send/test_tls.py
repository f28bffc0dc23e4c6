"""TLS is verified by default; ``ca_file`` trusts a private CA; ``insecure`` trusts anything.

A self-signed certificate for 127.0.0.1 is made with the system's ``openssl`` for each run.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from preflight.campaign_config import load_campaign
from preflight.cli import app
from preflight.ledger import Ledger
from preflight.pauses import lift
from preflight.sink import Sink
from preflight.smtp import MailboxConnection, MailboxMisconfigured
from send.helpers import mailbox_toml, run_campaign, sample_rows, states

pytestmark = pytest.mark.looptime

BOX = "li.wei@brightline.example"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    assert openssl, "these tests need the openssl command to make a test certificate"
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


@pytest.mark.parametrize(("security", "implicit"), [("starttls", False), ("tls", True)])
async def test_self_signed_server_is_refused_then_trusted_with_ca_file(
    campaign_dir: Callable[..., Path],
    tmp_path: Path,
    certificate: tuple[Path, Path],
    security: str,
    implicit: bool, ledger_at: str,
) -> None:
    async with Sink(tls=server_context(certificate), implicit_tls=implicit) as sink:
        box = mailbox_toml(BOX, sink.port).replace('"none"', f'"{security}"')
        path = campaign_dir(sample_rows(2), [box])
        stats, _ = await run_campaign(path, ledger_at)
        assert sink.received == []
        assert "certificate verify failed" in stats.paused[BOX]
        assert set(states(ledger_at).values()) == {"queued"}, "nothing was lost"
        trusted = box + f'ca_file = "{certificate[0]}"\n'
        path = campaign_dir(sample_rows(2), [trusted])
        with Ledger(ledger_at) as ledger:
            assert lift(ledger, BOX, "test")  # a settings pause: this campaign's
        stats, _ = await run_campaign(path, ledger_at)
        assert stats.sent == 2 and len(sink.received) == 2


async def test_insecure_flag_accepts_any_certificate(
    campaign_dir: Callable[..., Path], certificate: tuple[Path, Path]
) -> None:
    async with Sink(tls=server_context(certificate), implicit_tls=True) as sink:
        box = mailbox_toml(BOX, sink.port).replace('"none"', '"tls"')
        mailbox = load_campaign(campaign_dir(sample_rows(1), [box])).mailboxes[0]
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = BOX, "a@b.example", "hi"
        message.set_content("hello")
        with pytest.raises(MailboxMisconfigured, match="certificate verify failed"):
            await MailboxConnection(mailbox).send(message, BOX, "a@b.example")
        connection = MailboxConnection(mailbox, insecure=True)
        reply = await connection.send(message, BOX, "a@b.example")
        await connection.close()
    assert reply.accepted and sink.recipients() == ["a@b.example"]


def test_cli_refuses_a_self_signed_server_in_one_line_until_insecure(
    campaign_dir: Callable[..., Path], tmp_path: Path, certificate: tuple[Path, Path],
    ledger_at: str,
) -> None:
    runner = CliRunner()
    with Sink(tls=server_context(certificate), implicit_tls=True).in_thread() as sink:
        box = mailbox_toml(BOX, sink.port).replace('"none"', '"tls"')
        path = campaign_dir(sample_rows(2), [box])
        base = ["send", str(path), "--ledger", ledger_at, "--yes", "--offline"]
        refused = runner.invoke(app, base)
        assert refused.exit_code == 1
        assert refused.stderr.startswith("preflight: error: li.wei@brightline.example paused:")
        assert "certificate verify failed" in refused.stderr and "ca_file" in refused.stderr
        assert refused.stderr.count("\n") == 1 and "Traceback" not in refused.stderr
        assert sink.received == [] and sink.connections == 1
        trusted = runner.invoke(app, [*base, "--insecure", "--unpause"])
        assert trusted.exit_code == 0, trusted.stderr
        assert "sent 2" in trusted.stdout
    assert sorted(sink.recipients()) == ["person0@buyer0.example", "person1@buyer1.example"]
