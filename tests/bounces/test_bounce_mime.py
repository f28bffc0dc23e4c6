"""The MIME reader on the shapes bounces come in, including broken ones."""

from __future__ import annotations

import base64

from preflight.bounces.mime import parse
from preflight.bounces.parse import read_message
from preflight.bounces.reader import classify_message

REPORT = (
    b"From: MAILER-DAEMON@mx.example.net\r\n"
    b"To: sender@example.com\r\n"
    b"Subject: =?UTF-8?B?" + base64.b64encode("Unzustellbar: Grüße".encode()) + b"?=\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status;\r\n"
    b"\tboundary=\"XYZ\"\r\n\r\n"
    b"preamble\r\n--XYZ\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
    b"\r\nDelivery to b@example.org failed: Gr=C3=BC=C3=9Fe\r\n"
    b"--XYZ\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example.net\r\n\r\n"
    b"Final-Recipient: rfc822; b@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 <b@example.org>: Recipient address rejected: "
    b"User unknown in local recipient table\r\n"
    b"--XYZ\r\nContent-Type: message/rfc822\r\n\r\n"
    b"Message-ID: <m1@example.com>\r\nFrom: sender@example.com\r\nTo: b@example.org\r\n\r\nHi\r\n"
    b"--XYZ--\r\nepilogue\r\n"
)


def test_parts_headers_and_encodings() -> None:
    root = parse(REPORT)
    assert root.content_type == "multipart/report"
    assert root.param("report-type") == "delivery-status"
    assert [p.content_type for p in root.parts] == [
        "text/plain", "message/delivery-status", "message/rfc822"]
    assert "Grüße" in root.parts[0].payload().decode("utf-8")
    assert root.parts[2].parts[0].get("message-id") == "<m1@example.com>"


def test_a_report_reads_end_to_end() -> None:
    parsed = read_message(REPORT)
    assert parsed.subject == "Unzustellbar: Grüße"
    assert parsed.original_message_id == "<m1@example.com>"
    [record] = classify_message(REPORT)
    assert (record.recipient, record.status, record.reason, record.hard) == (
        "b@example.org", "5.1.1", "userunknown", True)


def test_a_boundary_that_never_occurs_leaves_one_flat_text() -> None:
    data = (b"From: MAILER-DAEMON@mx.example.net\nSubject: Delivery failure\n"
            b"Content-Type: multipart/report; boundary=\"nowhere\"\n\n"
            b"Your message cannot be delivered to the following recipients:\n\n"
            b"  Recipient address: c@example.org\n")
    parsed = read_message(data)
    assert "c@example.org" in parsed.notice
    assert parse(data).parts == []


def test_bad_base64_and_8bit_headers_do_not_raise() -> None:
    data = (b"From: Postmaster <postmaster@example.jp>\nSubject: \xe9\x80\x80\xe4\xbf\xa1\n"
            b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
            + base64.b64encode("宛先 d@example.org に配信できません".encode()) + b"!!\n")
    parsed = read_message(data)
    assert parsed.subject == "退信"
    assert "d@example.org" in parsed.notice
