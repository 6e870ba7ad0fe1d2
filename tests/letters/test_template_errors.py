"""A broken or hostile template fails with one ConfigError line naming template and field."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from docx import Document
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from mailflow.errors import ConfigError
from mailflow.letters import LetterContext, render_letter


def write_template(directory: Path, name: str, *paragraphs: str) -> Path:
    """A one-off letter template whose body is ``paragraphs``."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = directory / f"{name}.docx"
    document.save(str(path))
    return path


def test_a_letter_missing_a_field_it_prints_fails_naming_the_template_and_the_field(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A stage reply for a context without an outcome fails naming stage_reply.docx and outcome."""
    ctx = replace(stafford_ctx, outcome=None)
    with pytest.raises(ConfigError) as raised:
        render_letter(template_dir, "stage_reply", ctx)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(str(template_dir / "stage_reply.docx"))
    assert raised.value.path == "outcome"
    assert isinstance(raised.value.__cause__, UndefinedError)


def test_a_letter_missing_a_nested_field_names_its_full_path(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """A missing due date or extension is named in the acknowledgement or holding letter."""
    with pytest.raises(ConfigError, match=r"acknowledgement\.docx: respond_by: "):
        render_letter(template_dir, "acknowledgement", replace(stafford_ctx, respond_by=None))
    with pytest.raises(ConfigError, match=r"extension\.docx: extension: "):
        render_letter(template_dir, "extension", replace(stafford_ctx, extension=None))


def test_a_template_using_a_field_the_context_lacks_fails_naming_it(
    tmp_path: Path, stafford_ctx: LetterContext
) -> None:
    """A misspelt field raises under StrictUndefined instead of printing nothing."""
    write_template(tmp_path, "typo", "Our reference: {{ refrence }}")
    with pytest.raises(ConfigError) as raised:
        render_letter(tmp_path, "typo", stafford_ctx)
    assert str(raised.value) == (
        f"{tmp_path / 'typo.docx'}: refrence: "
        "the template uses a field LetterContext does not supply"
    )


def test_a_template_using_a_missing_attribute_fails_naming_it(
    tmp_path: Path, stafford_ctx: LetterContext
) -> None:
    """``council.nmae`` raises and names the attribute."""
    write_template(tmp_path, "typo", "{{ council.nmae }}")
    with pytest.raises(ConfigError, match=r"typo\.docx: nmae: "):
        render_letter(tmp_path, "typo", stafford_ctx)


@pytest.mark.parametrize(
    "escape",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ reasons.__class__.__base__.__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ council.update({'name': 'x'}) }}",
        "{{ reference.format.__globals__ }}",
    ],
)
def test_a_template_that_tries_to_escape_the_sandbox_is_refused(
    tmp_path: Path, stafford_ctx: LetterContext, escape: str
) -> None:
    """Sandbox escapes raise SecurityError, translated into a ConfigError naming the template."""
    write_template(tmp_path, "escape", f"Dear {escape}")
    with pytest.raises(ConfigError, match=r"escape\.docx: the template tried an unsafe") as raised:
        render_letter(tmp_path, "escape", stafford_ctx)
    assert isinstance(raised.value.__cause__, SecurityError)
    assert "\n" not in str(raised.value)


@pytest.mark.parametrize(
    "unescaped",
    ["{{ subject|safe }}", "{% autoescape false %}{{ subject }}{% endautoescape %}"],
)
def test_a_template_cannot_switch_off_escaping_of_customer_text(
    tmp_path: Path, stafford_ctx: LetterContext, unescaped: str
) -> None:
    """``|safe`` and ``{% autoescape false %}`` are refused, so XML in a subject stays text."""
    write_template(tmp_path, "unsafe", unescaped)
    ctx = replace(stafford_ctx, subject="</w:t></w:r></w:p><w:p><w:r><w:t>injected")
    with pytest.raises(ConfigError, match=r"unsafe\.docx: "):
        render_letter(tmp_path, "unsafe", ctx)


def test_a_template_with_a_syntax_error_names_the_file_and_the_text_near_it(
    tmp_path: Path, stafford_ctx: LetterContext
) -> None:
    """An unclosed tag is reported as template syntax, with the words around it."""
    write_template(tmp_path, "broken", "Our reference: {{ reference }", "Dear {{ customer_name }}")
    with pytest.raises(ConfigError, match=r"broken\.docx: .*template syntax") as raised:
        render_letter(tmp_path, "broken", stafford_ctx)
    assert isinstance(raised.value.__cause__, TemplateSyntaxError)
    assert "\n" not in str(raised.value)


def test_a_file_that_is_not_a_word_document_is_a_config_error(
    tmp_path: Path, stafford_ctx: LetterContext
) -> None:
    """A .docx that is really something else is reported, not a crash inside docxtpl."""
    (tmp_path / "fake.docx").write_text("not a zip")
    with pytest.raises(ConfigError, match=r"fake\.docx: not a Word"):
        render_letter(tmp_path, "fake", stafford_ctx)


@pytest.mark.parametrize("name", ["../stage_reply", "Stage_Reply", "missing_letter", ""])
def test_a_letter_name_must_be_a_template_in_the_directory(
    template_dir: Path, stafford_ctx: LetterContext, name: str
) -> None:
    """Only a rules-style key naming an existing template renders; no path can reach elsewhere."""
    with pytest.raises(ConfigError):
        render_letter(template_dir, name, stafford_ctx)
