"""Mail templates: ``templates/mail/<name>.txt.j2`` and ``.html.j2``, rendered in a sandbox.

The wording of a mail is a council's to edit, and the rules' wording it prints is too, so the
templates render as untrusted code: a sandboxed Jinja environment (no attribute tricks, no
changing the values), ``StrictUndefined`` so a misspelt name raises instead of printing nothing,
and a value the case lacks (``None``) raises when printed but is false in ``{% if %}``.
HTML is autoescaped and cannot switch escaping off (``|safe`` is removed, ``{% autoescape %}``
refused), so a customer's ``<script>`` arrives as text.

The plain-text template names the subject: ``{% set subject = "..." %}`` at its top level.
Jinja and I/O errors become ``ConfigError`` naming the template file.
"""

from __future__ import annotations

import functools
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined, TemplateNotFound, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from mailflow.errors import ConfigError
from mailflow.letters.render import TEMPLATE_NAME, Absent
from mailflow.policy.loader import bundled_rules_dir

WRAP_WIDTH = 72


def bundled_templates_dir() -> Path:
    """The templates shipped with mailflow (the folder beside the bundled ``rules``)."""
    return bundled_rules_dir().parent / "templates"


def para(text: object, width: int = WRAP_WIDTH) -> str:
    """One paragraph: its line breaks and spaces joined, then wrapped at ``width``.

    A paragraph starting ``- `` is a list item and wraps under its own text. A trailing line
    break is kept, so ``{% filter para %}`` blocks stay on lines of their own.
    """
    raw = str(text)
    joined = " ".join(raw.split())
    indent = "  " if joined.startswith("- ") else ""
    filled = textwrap.fill(
        joined,
        width=width,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return filled + ("\n" if raw.endswith("\n") else "")


def quote(text: object) -> str:
    """Text quoted as mail quotes it: every line starts with ``> ``."""
    return "\n".join(f"> {line}".rstrip() for line in str(text).split("\n"))


def words(value: object) -> str:
    """A rules key as words: ``unacceptable_actions`` -> ``unacceptable actions``."""
    return str(value).replace("_", " ")


class MailEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox mail templates render in; HTML always escapes, text never does."""

    def __init__(self, templates_dir: Path) -> None:
        super().__init__(
            loader=FileSystemLoader(templates_dir),
            undefined=StrictUndefined,
            autoescape=lambda name: bool(name and name.endswith(".html.j2")),
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
        self.templates_dir = templates_dir
        del self.filters["safe"]
        self.filters.update(para=para, quote=quote, words=words)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if next(tree.find_all(nodes.EvalContextModifier), None) is not None:
            raise SecurityError("{% autoescape %} is not allowed in a mail template")
        return tree


@functools.lru_cache(maxsize=8)
def mail_environment(templates_dir: Path) -> MailEnvironment:
    """The environment for one templates folder (cached; templates reload when they change)."""
    return MailEnvironment(templates_dir)


@dataclass(frozen=True, kw_only=True)
class RenderedMail:
    """A mail's words: the subject the text template set, its plain text and its HTML."""

    subject: str
    text: str
    html: str


def prepare(values: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``values`` with every ``None`` made ``Absent`` (false in ``if``, an error when printed)."""
    return {key: _prepare(value, f"{prefix}{key}") for key, value in values.items()}


def _prepare(value: Any, path: str) -> Any:
    if value is None:
        return Absent(hint=f"'{path}' has no value in this mail's context", name=path)
    if isinstance(value, Mapping):
        return prepare(value, f"{path}.")
    if isinstance(value, list | tuple):
        return [_prepare(item, f"{path}[{i}]") for i, item in enumerate(value)]
    return value


def render_mail(templates_dir: Path, name: str, context: Mapping[str, Any]) -> RenderedMail:
    """Render mail ``name`` with ``context``; ``ConfigError`` names the file when it fails."""
    env = mail_environment(templates_dir.resolve())
    if not TEMPLATE_NAME.match(name):
        raise ConfigError(str(templates_dir / name), "", "a mail template name is a rules key")
    values = prepare(context)
    text_name, html_name = f"{name}.txt.j2", f"{name}.html.j2"
    current = text_name
    try:
        module = env.get_template(text_name).make_module(values)
        subject = getattr(module, "subject", None)
        if not isinstance(subject, str) or not subject.strip():
            raise ConfigError(str(templates_dir / text_name), "subject", "set subject at the top")
        text = str(module)
        current = html_name
        html = env.get_template(html_name).render(values)
    except TemplateNotFound as exc:
        raise ConfigError(str(templates_dir / str(exc.name)), "", "no such mail template") from exc
    except TemplateSyntaxError as exc:
        where = f"line {exc.lineno}"
        raise ConfigError(str(templates_dir / current), where, exc.message or "syntax") from exc
    except (SecurityError, UndefinedError) as exc:
        raise ConfigError(str(templates_dir / current), "", str(exc)) from exc
    except TemplateError as exc:
        raise ConfigError(str(templates_dir / current), "", f"template error: {exc}") from exc
    except OSError as exc:
        raise ConfigError(str(templates_dir / current), "", f"cannot read: {exc}") from exc
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise ConfigError(str(templates_dir / current), "", f"expression failed: {exc!r}") from exc
    return RenderedMail(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)
