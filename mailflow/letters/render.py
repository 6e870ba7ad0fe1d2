"""Fill a Word letter template with a ``LetterContext``; every value is data, never template.

docxtpl renders a template's XML with Jinja. Three defaults of that are unsafe for letters that
quote customers (TESTING.md, "Letters: docxtpl"), and each is closed here:

* autoescaping is off by default, so ``</w:t>`` in a subject injected a paragraph and ``&`` or
  ``<Ltd>`` lost characters: the environment autoescapes, so values arrive as XML text;
* ``\\n``, ``\\t``, ``\\a`` and ``\\f`` in a value become breaks: values are cleaned first
  (``text.clean_text``); a letter gets paragraphs only by looping over a list;
* a template could run code and a misspelt field printed nothing: the environment is sandboxed
  and undefined names raise; ``|safe`` and ``{% autoescape false %}`` are refused.

Jinja and docx errors are translated into ``ConfigError`` naming the template, because a broken
template is the council's configuration, fixed by editing the file in Word.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping
from pathlib import Path

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from mailflow.errors import ConfigError
from mailflow.letters.context import LetterContext, TemplateValue
from mailflow.letters.largeprint import LARGE_PRINT_PT, enlarge
from mailflow.letters.text import clean_text

TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")  # a rules Key: no path can be smuggled in
# Errors a template's own expressions can raise ({{ 1/0 }}, {{ "a" + 1 }}); anything else is a bug.
_EXPRESSION_ERRORS = (ArithmeticError, TypeError, ValueError)


class Absent(StrictUndefined):
    """A value this letter's context leaves out: false in ``{% if %}``, an error when printed."""

    __slots__ = ()

    # StrictUndefined's __bool__ raises (typed NoReturn); being false here is the point.
    def __bool__(self) -> bool:  # type: ignore[override]
        return False


class LetterEnvironment(ImmutableSandboxedEnvironment):
    """A sandbox that always escapes: templates cannot switch escaping off for customer text.

    Immutable: a template cannot change the values it prints (``council.update(...)``).
    ``|safe`` is removed and ``{% autoescape false %}`` refused, since either would let a
    subject containing ``</w:t>`` write XML into the letter again.
    """

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True)
        del self.filters["safe"]

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        if next(tree.find_all(nodes.EvalContextModifier), None) is not None:
            raise SecurityError("{% autoescape %} is not allowed in a letter template")
        return tree


def letter_environment() -> LetterEnvironment:
    """The Jinja environment every letter renders and is checked with."""
    return LetterEnvironment()


def template_path(template_dir: Path, name: str) -> Path:
    """The file of letter ``name`` (a rules key such as ``stage_reply``) in ``template_dir``."""
    path = template_dir / f"{name}.docx"
    if not TEMPLATE_NAME.match(name):
        raise ConfigError(str(path), "", "a letter name is lower-case letters, digits and _")
    if not path.is_file():
        raise ConfigError(str(path), "", "no such letter template")
    return path


def render_letter(
    template_dir: Path, name: str, ctx: LetterContext, *, large_print: bool = False
) -> bytes:
    """The .docx bytes of letter ``name`` filled from ``ctx``, in 16 pt type if ``large_print``.

    Raises ``ConfigError`` ("FILE: FIELD: problem") when the template is not a Word document,
    has a syntax error, tries an unsafe operation, or prints a field ``ctx`` does not supply.
    """
    path = template_path(template_dir, name)
    document = render_template(path, prepare(ctx.to_template_dict()))
    return enlarge(document, LARGE_PRINT_PT) if large_print else document


def prepare(values: Mapping[str, TemplateValue], prefix: str = "") -> dict[str, object]:
    """``values`` with every string cleaned and every ``None`` made ``Absent`` under its path."""
    return {key: _prepare(value, f"{prefix}{key}") for key, value in values.items()}


def _prepare(value: TemplateValue, path: str) -> object:
    if value is None:
        return Absent(hint=f"'{path}' has no value in this letter's context", name=path)
    if isinstance(value, str):
        return _literal(clean_text(value))
    if isinstance(value, list):
        return [_prepare(item, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        return prepare(value, f"{path}.")
    return value


def _literal(text: str) -> str:
    """``text`` safe from docxtpl's one rewrite after rendering, which turns ``{_{`` into ``{{``.

    The underscore next to a brace is written as the XML character reference ``&#95;``, which
    Word reads back as ``_``; the rest is escaped exactly as autoescaping would.
    """
    if "{_" not in text and "_}" not in text:
        return text
    escaped = str(escape(text))  # a plain str: Markup.replace would escape "&#95;" again
    return Markup(escaped.replace("{_", "{&#95;").replace("_}", "&#95;}"))


def render_template(path: Path, values: Mapping[str, object]) -> bytes:
    """Render the template at ``path`` with already prepared ``values`` in the sandbox."""
    template = DocxTemplate(path)
    try:
        template.render(dict(values), jinja_env=letter_environment(), autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError) as exc:
        raise ConfigError(str(path), "", f"not a Word (.docx) document: {exc}") from exc
    except SecurityError as exc:
        raise ConfigError(str(path), "", f"the template tried an unsafe operation: {exc}") from exc
    except UndefinedError as exc:
        field, problem = _missing_field(str(exc))
        raise ConfigError(str(path), field, problem) from exc
    except TemplateSyntaxError as exc:
        raise ConfigError(str(path), _near(exc), f"template syntax: {exc.message}") from exc
    except TemplateError as exc:
        raise ConfigError(str(path), _near(exc), f"template error: {exc.message}") from exc
    except _EXPRESSION_ERRORS as exc:
        raise ConfigError(str(path), "", f"a template expression failed: {exc!r}") from exc
    return out.getvalue()


def _missing_field(message: str) -> tuple[str, str]:
    """The field an ``UndefinedError`` is about, and a one-line problem for administrators."""
    absent = re.match(r"'([\w.\[\]]+)' has no value", message)
    if absent:
        return absent[1], "this letter prints it, but the letter's context has no value for it"
    undefined = re.match(r"'(\w+)' is undefined", message)
    if undefined:
        return undefined[1], "the template uses a field LetterContext does not supply"
    attribute = re.search(r"has no attribute '(\w+)'", message)
    if attribute:
        return attribute[1], "the template uses an attribute the letter's context does not have"
    return "", f"undefined value: {message}"


def _near(exc: TemplateError) -> str:
    """The document text around a template error, as docxtpl records it, on one short line."""
    lines = getattr(exc, "docx_context", None) or []
    text = " ".join(" ".join(str(line).split()) for line in lines).strip()
    return f"near {text[:70]!r}" if text else ""
