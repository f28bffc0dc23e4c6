import preflight


def test_every_public_name_resolves() -> None:
    for name in preflight.__all__:
        assert getattr(preflight, name) is not None, name


def test_library_lints_without_the_cli() -> None:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["Subject"] = "FREE MONEY!!! ACT NOW!!!"
    msg["From"] = "winner@example.com"
    msg.set_content("BUY NOW!!! 100% free, click here, act now!!! CHEAP PRICE!!!")
    draft = preflight.Draft.from_message(msg, "x.eml")
    report = preflight.lint_draft(draft, preflight.LintSettings())
    assert not report.passed and report.score >= 5.0
