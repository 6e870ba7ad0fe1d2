"""Fill a Word letter template with a ``LetterContext``; every value is data, never template.

docxtpl renders a template's XML with Jinja. Three defaults of that are unsafe for letters that
quote customers (TESTING.md, "Letters: docxtpl"), and each is closed here:

* autoescaping is off by default, so ``</w:t>`` in a subject injected a paragraph and ``&`` or
  ``<Ltd>`` lost characters: the environment autoescapes, so values arrive as XML text;
* ``\\n``, ``\\t``, ``\\a`` and ``\\f`` in a value become breaks: values are cleaned first
  (``text.clean_text``); a letter gets paragraphs only by looping over a list;
* a template could run code and a misspelt field printed nothing: the environment is sandboxed
  and undefined names raise; ``|safe`` and ``{% autoescape false %}`` are refused.

Each template is read, preprocessed (docxtpl's own ``patch_xml``) and compiled once per content,
so a letter costs the Jinja render of its parts and writing the zip, not python-docx opening and
saving the whole document (about 40 ms a letter); large print is a copy of the template enlarged
once (``largeprint``), not a second pass over every letter.

Jinja and docx errors are translated into ``ConfigError`` naming the template, because a broken
template is the council's configuration, fixed by editing the file in Word.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from docx.opc.exceptions import PackageNotFoundError
from docxtpl import DocxTemplate
from jinja2 import StrictUndefined, Template, nodes
from jinja2.exceptions import SecurityError, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from lxml import etree  # type: ignore[import-untyped]
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
    return render_template(path, prepare(ctx.to_template_dict()), large_print=large_print)


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


def render_template(
    path: Path, values: Mapping[str, object], *, large_print: bool = False
) -> bytes:
    """Render the template at ``path`` with already prepared ``values`` in the sandbox.

    The template is read and preprocessed once per content (``_prepared``); each letter is then
    the Jinja render of its parts plus writing the zip. ``large_print`` renders from a large
    print copy of the template, prepared once as well.
    """
    try:
        prepared = _prepared(path, large_print=large_print)
        return prepared.render(dict(values)) if prepared else _render_whole(path, values)
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


def _render_whole(path: Path | io.BytesIO, values: Mapping[str, object]) -> bytes:
    """docxtpl's own way, for templates ``_prepared`` does not handle (footnotes, templated
    document properties): open, render and save the whole document."""
    template = DocxTemplate(path)
    template.render(dict(values), jinja_env=letter_environment(), autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()


# -- templates prepared once ------------------------------------------------------------------

_PROPERTIES = ("author", "comments", "identifier", "language", "subject", "title")
_BODY_GAP = b"<w:body/>"


@dataclass(frozen=True)
class _Part:
    """One templated XML part: its name in the zip and its compiled, preprocessed source."""

    name: str
    source: str
    template: Template
    encoding: str


@dataclass(frozen=True)
class _Prepared:
    """A template read, preprocessed (docxtpl's ``patch_xml``) and compiled once.

    ``base`` is the .docx with every part no letter changes, already compressed; a letter
    appends its rendered body (between ``head`` and ``tail``, the document element around
    ``w:body``) and its headers and footers.
    """

    docx: DocxTemplate
    base: bytes
    head: bytes
    tail: bytes
    body: _Part
    parts: tuple[_Part, ...]

    def render(self, values: dict[str, object]) -> bytes:
        body = _render_part(self.docx, self.body, values)
        tree = self.docx.fix_tables(body)  # docxtpl's repairs, as its render does
        self.docx.docx_ids_index = 1000
        self.docx.fix_docpr_ids(tree)
        document = self.head + etree.tostring(tree, encoding="UTF-8") + self.tail
        rendered = [(part.name, _render_part(self.docx, part, values)) for part in self.parts]
        out = io.BytesIO(self.base)
        out.seek(0, io.SEEK_END)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as docx:
            docx.writestr(self.body.name, document)
            for (name, xml), part in zip(rendered, self.parts, strict=True):
                docx.writestr(name, xml.encode(part.encoding))
        return out.getvalue()


_cache: dict[tuple[str, bool], tuple[bytes, _Prepared | None]] = {}
_cache_lock = threading.Lock()


def _prepared(path: Path, *, large_print: bool) -> _Prepared | None:
    """The prepared template at ``path`` (None: render it whole), reused while its bytes are
    unchanged, so a template edited in Word takes effect with the next letter."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).digest()
    key = (str(path.resolve()), large_print)
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None and cached[0] == digest:
        return cached[1]
    source = enlarge(raw, LARGE_PRINT_PT) if large_print else raw
    prepared = _prepare_template(source)
    with _cache_lock:
        if len(_cache) >= 64:
            _cache.clear()
        _cache[key] = (digest, prepared)
    return prepared


def _prepare_template(raw: bytes) -> _Prepared | None:
    docx = DocxTemplate(io.BytesIO(raw))
    docx.init_docx()
    document = docx.docx
    env = letter_environment()
    core = document.core_properties
    if any("{" in (getattr(core, name) or "") for name in _PROPERTIES):
        return None
    package_parts = list(document.part.package.iter_parts())
    if any(p.content_type.endswith(".footnotes+xml") for p in package_parts):
        return None
    body = _compile(env, document.part.partname, docx.patch_xml(docx.get_xml()), "utf-8")
    parts = []
    for uri in (docx.HEADER_URI, docx.FOOTER_URI):
        for _rel, part in docx.get_headers_footers(uri):
            xml = docx.get_part_xml(part)
            encoding = docx.get_headers_footers_encoding(xml)
            parts.append(_compile(env, part.partname, docx.patch_xml(xml), encoding))
    root = copy.deepcopy(document.element)
    root.replace(root.body, etree.SubElement(root, root.body.tag))
    whole = etree.tostring(root, encoding="UTF-8", standalone=True)
    if whole.count(_BODY_GAP) != 1:
        return None
    head, tail = whole.split(_BODY_GAP)
    changed = {body.name, *(p.name for p in parts)}
    base = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as original, zipfile.ZipFile(base, "w") as kept:
        for item in original.infolist():
            if item.filename not in changed:
                kept.writestr(item, original.read(item.filename))
    return _Prepared(docx, base.getvalue(), head, tail, body, tuple(parts))


def _compile(env: LetterEnvironment, partname: str, xml: str, encoding: str) -> _Part:
    """docxtpl's ``render_xml_part`` up to the render: paragraphs on their own lines (so
    errors name the text near them), compiled once."""
    source = re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)
    try:
        template = env.from_string(source)
    except TemplateError as exc:
        raise _located(exc, source) from None
    return _Part(name=partname.lstrip("/"), source=source, template=template, encoding=encoding)


def _render_part(docx: DocxTemplate, part: _Part, values: dict[str, object]) -> str:
    """docxtpl's ``render_xml_part`` from the render on."""
    try:
        xml = part.template.render(values)
    except TemplateError as exc:
        raise _located(exc, part.source) from None
    xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
    xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
    listed: str = docx.resolve_listing(xml)
    return listed


def _located(exc: TemplateError, source: str) -> TemplateError:
    """``exc`` with the document text around it, as docxtpl records it (``_near`` reads it)."""
    lineno = getattr(exc, "lineno", None)
    if lineno is not None:
        start = max(lineno - 4, 0)
        lines = source.splitlines()[start : start + 7]
        exc.docx_context = [re.sub(r"<[^>]+>", "", line) for line in lines]  # type: ignore[attr-defined]
    return exc


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
