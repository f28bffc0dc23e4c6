"""Email templates: one ``NAME.j2`` file rendered in a Jinja2 sandbox.

The file format (an optional leading ``{# comment #}`` may come first)::

    Subject: Quick question about {{ company }}
    Reply-To: sales@yourcompany.com        (optional)
    Preheader: One line shown in the inbox (optional)

    Hi {{ first_name }},
    ... the plain-text body ...
    --- html ---
    <p>Hi {{ first_name }},</p>             (optional HTML body)

The header values, the text body and the HTML body are compiled as separate Jinja2
templates, each padded so that Jinja's line numbers are the file's lines; that lets the HTML
part alone be autoescaped and lets a header value be checked for line breaks *after*
rendering (a personalization value with ``"\\r\\nBcc: x"`` must never become a header).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from jinja2 import meta
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from preflight.draft import Personalization
from preflight.errors import HeaderInjectionError, TemplateError
from preflight.message import has_line_break

HTML_MARKER = "--- html ---"
REQUIRED_HEADERS = ("Subject",)
ALLOWED_HEADERS = ("Subject", "Reply-To", "Preheader")
# Headers that go into the message as mail headers (Subject and Preheader are handled apart).
MAIL_HEADERS = ("Reply-To",)

# Values used to preview a template when no data is given. Any other variable gets a
# readable value derived from its name, so every template can be previewed.
SAMPLE_VALUES: Mapping[str, str] = {
    "first_name": "Anna",
    "last_name": "Berg",
    "name": "Anna Berg",
    "full_name": "Anna Berg",
    "email": "anna.berg@example.com",
    "company": "Nordlicht Handel GmbH",
    "title": "Head of Purchasing",
    "job_title": "Head of Purchasing",
    "city": "Hamburg",
    "country": "Germany",
    "industry": "industrial supplies",
    "event": "Hannover Messe",
    "product": "stainless steel pipe fittings",
    "sender_name": "Li Wei",
    "sender_title": "Export Sales Manager",
    "sender_company": "Ningbo Brightline Industrial Co., Ltd.",
    "sender_phone": "+86 574 8700 0000",
    "sender_address": "No. 88 Jiangnan Road, Ningbo 315000, China",
}

_UNDEFINED_NAME = re.compile(r"'([^']+)' is undefined")
_HEADER_LINE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*):[ \t]?(.*)$")


def sample_value(variable: str) -> str:
    """A plausible preview value for ``variable``: a known sample or one made from its name."""
    known = SAMPLE_VALUES.get(variable)
    if known is not None:
        return known
    words = variable.replace("_", " ").replace("-", " ").strip()
    return words.capitalize() if words else "Sample"


def sample_row(variables: frozenset[str] | set[str]) -> dict[str, str]:
    """A row that defines every variable in ``variables`` with a preview value."""
    return {name: sample_value(name) for name in sorted(variables)}


@dataclass
class RenderedMessage:
    """A template rendered for one recipient, ready for :func:`preflight.message.build_message`."""

    subject: str
    text: str
    html: str | None
    headers: dict[str, str]  # mail headers from the template, e.g. {"Reply-To": ...}
    personalization: Personalization
    preheader: str | None = None


@dataclass(frozen=True)
class _Part:
    """One separately compiled piece of the file (a header value, the text or the HTML body)."""

    label: str  # "Subject", "text", "html"
    line: int  # the file line the piece starts on
    template: jinja2.Template
    variables: frozenset[str]


def _environment(autoescape: bool) -> SandboxedEnvironment:
    # Immutable: a template may not even modify the lists and dicts it is given.
    return ImmutableSandboxedEnvironment(
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )


_TEXT_ENV = _environment(autoescape=False)
_HTML_ENV = _environment(autoescape=True)


@dataclass(frozen=True)
class Template:
    """A loaded, compiled template. Load with :func:`load_template`."""

    path: Path
    headers: tuple[_Part, ...]
    text: _Part
    html: _Part | None
    first_line_vars: frozenset[str]
    variables: frozenset[str] = field(default=frozenset())

    @property
    def name(self) -> str:
        return self.path.stem

    def render(self, row: Mapping[str, str]) -> RenderedMessage:
        """Render for one recipient; raise TemplateError or HeaderInjectionError naming the line."""
        values = dict(row)
        rendered_headers: dict[str, str] = {}
        subject_vars: frozenset[str] = frozenset()
        for part in self.headers:
            value = self._render_part(part, values).strip()
            if has_line_break(value):
                raise HeaderInjectionError(
                    "the rendered value contains a line break; a header must stay on one line "
                    "(check the personalization values)",
                    file=self.path,
                    line=part.line,
                    field=part.label,
                )
            rendered_headers[part.label] = value
            if part.label == "Subject":
                subject_vars = part.variables
        text = self._render_part(self.text, values).strip("\n") + "\n"
        html = self._render_part(self.html, values) if self.html is not None else None
        return RenderedMessage(
            subject=rendered_headers.pop("Subject"),
            text=text,
            html=html,
            headers={k: v for k, v in rendered_headers.items() if k in MAIL_HEADERS},
            personalization=Personalization(
                subject_vars=subject_vars, first_line_vars=self.first_line_vars
            ),
            preheader=rendered_headers.get("Preheader") or None,
        )

    def _render_part(self, part: _Part, values: Mapping[str, str]) -> str:
        try:
            rendered = part.template.render(values)
        except jinja2.UndefinedError as error:
            found = _UNDEFINED_NAME.search(str(error))
            hint = f"a '{found.group(1)}' column or key" if found else str(error)
            raise TemplateError(
                f"undefined variable: give it a value in the data ({hint}) "
                "or remove it from the template",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
                field=found.group(1) if found else None,
            ) from None
        except jinja2.exceptions.SecurityError as error:
            raise TemplateError(
                f"refused by the template sandbox: {error}",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
            ) from None
        except jinja2.TemplateError as error:
            raise TemplateError(
                f"cannot render: {error}",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
            ) from None
        except (TypeError, ValueError, ArithmeticError, LookupError, RuntimeError) as error:
            # Filters or expressions failing on the data (`{{ x|int + "a" }}`), or a
            # runaway recursive macro (RecursionError is a RuntimeError).
            raise TemplateError(
                f"cannot render: {type(error).__name__}: {error}",
                file=self.path,
                line=_error_line(error, self.path) or part.line,
            ) from None
        # Drop the newlines that padded the part to its file line.
        padding = part.line - 1
        return rendered[padding:] if rendered.startswith("\n" * padding) else rendered


def _error_line(error: BaseException, path: Path) -> int | None:
    """The template line of a render error, from the frames Jinja rewrites to the file."""
    filename = str(path)
    line = None
    for frame in traceback.extract_tb(error.__traceback__):
        if frame.filename == filename:
            line = frame.lineno
    return line


def _compile(
    env: SandboxedEnvironment, source: str, first_line: int, path: Path, label: str
) -> _Part:
    # Padding with newlines makes Jinja count lines the way the file does.
    padded = "\n" * (first_line - 1) + source
    try:
        tree = env.parse(padded, name=path.name, filename=str(path))
        code = env.compile(tree, name=path.name, filename=str(path))
    except jinja2.TemplateSyntaxError as error:
        raise TemplateError(
            f"template syntax error: {error.message}", file=path, line=error.lineno, field=label
        ) from None
    template = env.template_class.from_code(env, code, env.make_globals(None), None)
    return _Part(label, first_line, template, frozenset(meta.find_undeclared_variables(tree)))


def _first_line_variables(body_lines: list[str]) -> frozenset[str]:
    """Variables used in the first non-blank line of the text body (the greeting)."""
    for line in body_lines:
        if line.strip() and not line.lstrip().startswith(("{%", "{#")):
            names: set[str] = set()
            for expression in re.findall(r"\{\{(.*?)\}\}", line):
                try:
                    names |= meta.find_undeclared_variables(
                        _TEXT_ENV.parse("{{" + expression + "}}")
                    )
                except jinja2.TemplateSyntaxError:
                    continue
            return frozenset(names)
    return frozenset()


def _read_source(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TemplateError("no such template file", file=path) from None
    except OSError as error:
        raise TemplateError(f"cannot read template: {error.strerror}", file=path) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise TemplateError("template is not valid UTF-8", file=path, line=line) from None


def load_template(path: str | Path) -> Template:
    """Read and compile a template file; raise TemplateError naming the file and line."""
    path = Path(path)
    # Split only where Jinja counts lines: str.splitlines() would also break on U+2028 etc.
    lines = re.split(r"\r\n|\r|\n", _read_source(path))
    if lines and not lines[-1]:
        lines.pop()

    header_values: list[tuple[str, int, str]] = []  # (name, line, raw value)
    index = _skip_leading_comment(lines, path)
    while index < len(lines) and lines[index].strip():
        raw = lines[index]
        if raw[0] in " \t" and header_values:
            # A folded header line continues the previous value.
            name, line, value = header_values[-1]
            header_values[-1] = (name, line, value + " " + raw.strip())
            index += 1
            continue
        match = _HEADER_LINE.match(raw)
        if match is None:
            raise TemplateError(
                "expected a header line such as 'Subject: ...'; a template starts with its "
                "headers, then a blank line, then the body",
                file=path,
                line=index + 1,
            )
        name = _canonical_header(match.group(1), path, index + 1)
        if any(existing == name for existing, _, _ in header_values):
            raise TemplateError("header given twice", file=path, line=index + 1, field=name)
        header_values.append((name, index + 1, match.group(2)))
        index += 1
    for required in REQUIRED_HEADERS:
        if not any(name == required for name, _, _ in header_values):
            raise TemplateError(
                f"the template has no '{required}:' header line", file=path, line=1, field=required
            )
    if index >= len(lines):
        raise TemplateError(
            "the template has no body: add a blank line after the headers, then the text",
            file=path,
            line=len(lines) or 1,
        )

    body_start = index + 1  # 0-based index of the first body line
    try:
        marker = next(i for i in range(body_start, len(lines)) if lines[i].strip() == HTML_MARKER)
    except StopIteration:
        marker = None
    text_lines = lines[body_start:marker] if marker is not None else lines[body_start:]

    headers = tuple(
        _compile(_TEXT_ENV, value, line, path, name) for name, line, value in header_values
    )
    text = _compile(_TEXT_ENV, "\n".join(text_lines) + "\n", body_start + 1, path, "text")
    html = None
    if marker is not None:
        html = _compile(_HTML_ENV, "\n".join(lines[marker + 1 :]) + "\n", marker + 2, path, "html")

    parts = (*headers, text) if html is None else (*headers, text, html)
    variables = frozenset().union(*(part.variables for part in parts))
    return Template(
        path=path,
        headers=headers,
        text=text,
        html=html,
        first_line_vars=_first_line_variables(text_lines),
        variables=variables,
    )


def _skip_leading_comment(lines: list[str], path: Path) -> int:
    """Index of the first header line, after an optional leading ``{# ... #}`` comment."""
    if not lines or not lines[0].lstrip().startswith("{#"):
        return 0
    for index, line in enumerate(lines):
        if "#}" in line:
            if line.split("#}", 1)[1].strip():
                raise TemplateError(
                    "put the headers on the lines after the closing '#}'", file=path, line=index + 1
                )
            index += 1
            while index < len(lines) and not lines[index].strip():
                index += 1
            return index
    raise TemplateError("the comment opened with '{#' is never closed by '#}'", file=path, line=1)


def _canonical_header(name: str, path: Path, line: int) -> str:
    for allowed in ALLOWED_HEADERS:
        if name.lower() == allowed.lower():
            return allowed
    raise TemplateError(
        f"unknown template header (allowed: {', '.join(ALLOWED_HEADERS)})",
        file=path,
        line=line,
        field=name,
    )
