"""Check letter templates against the fields ``LetterContext`` supplies, before any letter is due.

A council edits the templates in Word; a misspelt ``{{ refrence }}`` would otherwise surface
only when a customer's letter fails to render. ``check_templates`` is run by the test suite and
is meant for ``mailflow check-rules``: it reports each problem as one line, "FILE: FIELD:
problem", the same shape as ``ConfigError``.
"""

from __future__ import annotations

import difflib
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml import parse_xml
from docxtpl import DocxTemplate
from jinja2 import nodes
from jinja2.exceptions import SecurityError, TemplateSyntaxError

from mailflow.letters.context import LetterContext
from mailflow.letters.render import letter_environment

WORD_LOCK_PREFIX = "~$"  # Word's owner file beside a document that is open for editing


def check_templates(template_dir: Path, *, required: Iterable[str] = ()) -> list[str]:
    """One line per problem in the templates of ``template_dir``; empty when all are usable.

    ``required`` names letters that must exist, e.g. every ``letters:`` entry of a rules file.
    """
    if not template_dir.is_dir():
        return [f"{template_dir}: no such directory of letter templates"]
    paths = sorted(
        p for p in template_dir.glob("*.docx") if not p.name.startswith(WORD_LOCK_PREFIX)
    )
    present = {p.stem for p in paths}
    problems = [
        f"{template_dir / (name + '.docx')}: missing: the rules name this letter"
        for name in sorted(set(required) - present)
    ]
    fields = LetterContext.template_fields()
    for path in paths:
        problems.extend(check_template(path, fields))
    return problems


def check_template(path: Path, fields: Mapping[str, frozenset[str]]) -> list[str]:
    """The problems of one template, given the context's ``fields`` and their attributes."""
    env = letter_environment()
    template = DocxTemplate(path)
    try:
        used = template.get_undeclared_template_variables(jinja_env=env)
        source = _jinja_source(template)
        tree = env.parse(source)
        env.compile(source)  # unknown filters and tests (``|safe`` too) show only when compiling
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError) as exc:
        return [f"{path}: not a Word (.docx) document: {exc}"]
    except SecurityError as exc:
        return [f"{path}: unsafe template: {exc}"]
    except TemplateSyntaxError as exc:
        return [f"{path}: template syntax: {exc.message}"]
    problems = [
        f"{path}: {name}: no such field in LetterContext{_suggest(name, fields)}"
        for name in sorted(set(used) - set(fields))
    ]
    for name, attribute in sorted(_attributes_used(tree)):
        known = fields.get(name)
        if known and attribute not in known:
            problems.append(
                f"{path}: {name}.{attribute}: {name} has no such attribute"
                f"{_suggest(attribute, known)}"
            )
    return problems


def _jinja_source(template: Any) -> str:
    """The Jinja source docxtpl renders for ``template``: its body, headers and footers.

    This is what ``DocxTemplate.get_undeclared_template_variables`` parses; it is rebuilt here
    because that method returns names only, and attributes (``council.nmae``) need the tree.
    """
    document = Document(template.template_file)
    source = template.patch_xml(template.xml_to_string(document.element.body))
    for rel in document.part.rels.values():
        if rel.reltype in (template.HEADER_URI, template.FOOTER_URI) and rel.target_part.blob:
            source += template.patch_xml(template.xml_to_string(parse_xml(rel.target_part.blob)))
    return str(source)


def _attributes_used(tree: nodes.Template) -> set[tuple[str, str]]:
    """Every ``field.attribute`` the template reads directly from a context field."""
    return {
        (node.node.name, node.attr)
        for node in tree.find_all(nodes.Getattr)
        if isinstance(node.node, nodes.Name)
    }


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
