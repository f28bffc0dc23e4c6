"""preflight: lint, check, pace and track outbound email.

The library can be used without the CLI::

    from preflight import LintSettings, lint_draft, read_draft

    report = lint_draft(read_draft("draft.eml"), LintSettings())
    print(report.score, report.passed)
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

# Public names and the module each lives in. Imported on first use so that `preflight --help`
# and the light commands do not pay for bs4, lxml and jinja2.
_EXPORTS = {
    "PreflightError": "preflight.errors",
    "Draft": "preflight.draft",
    "read_draft": "preflight.draft",
    "LintSettings": "preflight.lint.settings",
    "LintReport": "preflight.lint.model",
    "lint_draft": "preflight.lint.linter",
    "lint_paths": "preflight.lint.inputs",
    "load_config": "preflight.lint.config",
    "load_template": "preflight.templates",
    "build_message": "preflight.message",
    "Ledger": "preflight.ledger",
    "classify_reply": "preflight.bounces.classify",
    "classify_message": "preflight.bounces.reader",
    "import_source": "preflight.bounces.importer",
    "load_campaign": "preflight.campaign_config",
    "CampaignRun": "preflight.campaign",
    "plan_campaign": "preflight.campaign",
    "BouncePolicy": "preflight.policy",
    "decide": "preflight.policy",
    "load_plan": "preflight.warmup",
    "Sink": "preflight.sink",
    "read_recipients": "preflight.recipients",
    "AddressChecker": "preflight.addresses",
    "audit_domain": "preflight.dnscheck",
}

__all__ = [
    "AddressChecker",
    "BouncePolicy",
    "CampaignRun",
    "Draft",
    "Ledger",
    "LintReport",
    "LintSettings",
    "PreflightError",
    "Sink",
    "__version__",
    "audit_domain",
    "build_message",
    "classify_message",
    "classify_reply",
    "decide",
    "import_source",
    "lint_draft",
    "lint_paths",
    "load_campaign",
    "load_config",
    "load_plan",
    "load_template",
    "plan_campaign",
    "read_draft",
    "read_recipients",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'preflight' has no attribute {name!r}")
    return getattr(import_module(module), name)
