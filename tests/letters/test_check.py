"""check_templates holds every template to the fields LetterContext supplies."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from docx import Document

from mailflow.letters import LetterContext, check_templates
from mailflow.letters.render import letter_environment
from mailflow.policy.council import load_policy
from tests.letters.conftest import LETTERS


def write_template(directory: Path, name: str, *paragraphs: str) -> Path:
    """A one-off letter template whose body is ``paragraphs``."""
    document = Document()
    for text in paragraphs:
        document.add_paragraph(text)
    path = directory / f"{name}.docx"
    document.save(str(path))
    return path


def letters_named_in_rules() -> set[str]:
    """Every letter any stage of the bundled rules files sends."""
    names: set[str] = set()
    for council in ("stafford", "chorley"):
        for procedure in load_policy(council).rules.procedures.values():
            for stage in procedure.stages:
                names.update(stage.letters)
    return names


def test_shipped_templates_have_no_problems(template_dir: Path) -> None:
    """The committed templates use only supplied fields, and every letter the rules name exists."""
    assert check_templates(template_dir, required=letters_named_in_rules()) == []
    assert {p.stem for p in template_dir.glob("*.docx")} == set(LETTERS)


def test_the_templates_use_exactly_the_fields_the_context_supplies(template_dir: Path) -> None:
    """Every LetterContext field is used by some template, and no template uses any other."""
    from docxtpl import DocxTemplate

    used: set[str] = set()
    for path in template_dir.glob("*.docx"):
        used |= DocxTemplate(path).get_undeclared_template_variables(jinja_env=letter_environment())
    assert used == set(LetterContext.template_fields())


def test_a_misspelt_field_is_reported_with_a_suggestion(tmp_path: Path) -> None:
    """``{{ refrence }}`` is reported with the file, the field and the likely intended name."""
    path = write_template(tmp_path, "acknowledgement", "Our reference: {{ refrence }}")
    assert check_templates(tmp_path) == [
        f"{path}: refrence: no such field in LetterContext (did you mean 'reference'?)"
    ]


def test_a_misspelt_attribute_of_a_field_is_reported(tmp_path: Path) -> None:
    """``{{ council.nmae }}`` is caught although ``council`` itself exists."""
    path = write_template(tmp_path, "letter", "{{ council.nmae }}", "{{ council.name }}")
    assert check_templates(tmp_path) == [
        f"{path}: council.nmae: council has no such attribute (did you mean 'name'?)"
    ]


def test_a_broken_copy_of_a_shipped_template_is_reported(
    tmp_path: Path, template_dir: Path
) -> None:
    """Among good templates, a broken one is the only one reported."""
    for name in LETTERS:
        shutil.copy(template_dir / f"{name}.docx", tmp_path)
    write_template(tmp_path, "stage_reply", "{{ stage.next_stpe }}", "{{ outcom }}")
    problems = check_templates(tmp_path)
    assert len(problems) == 2
    assert all(p.startswith(str(tmp_path / "stage_reply.docx")) for p in problems)
    assert any("outcom:" in p and "'outcome'" in p for p in problems)
    assert any("stage.next_stpe:" in p and "'next_step'" in p for p in problems)


def test_a_letter_the_rules_name_but_that_has_no_template_is_reported(tmp_path: Path) -> None:
    """A rules ``letters:`` entry without a template is a problem before any case needs it."""
    assert check_templates(tmp_path, required=["stage_reply"]) == [
        f"{tmp_path / 'stage_reply.docx'}: missing: the rules name this letter"
    ]


def test_a_template_with_a_syntax_error_is_reported(tmp_path: Path) -> None:
    """An unclosed tag is a problem line, not an exception."""
    path = write_template(tmp_path, "broken", "{% if stage %}no end")
    problems = check_templates(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: template syntax:")


@pytest.mark.parametrize(
    ("tag", "problem"),
    [
        ("{{ subject|safe }}", "template syntax: No filter named 'safe'"),
        ("{{ subject|uper }}", "template syntax: No filter named 'uper'"),
        ("{% autoescape false %}{{ subject }}{% endautoescape %}", "unsafe template: "),
    ],
)
def test_a_template_that_unescapes_or_uses_an_unknown_filter_is_reported(
    tmp_path: Path, tag: str, problem: str
) -> None:
    """Switching escaping off, or a misspelt filter, is found by the check, not by a customer."""
    path = write_template(tmp_path, "letter", tag)
    problems = check_templates(tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith(f"{path}: {problem}")


def test_a_file_that_is_not_a_word_document_is_reported(tmp_path: Path) -> None:
    """A non-docx file named .docx is a problem line."""
    (tmp_path / "fake.docx").write_bytes(b"not a zip")
    assert check_templates(tmp_path)[0].startswith(f"{tmp_path / 'fake.docx'}: not a Word")


def test_words_lock_files_beside_an_open_template_are_ignored(tmp_path: Path) -> None:
    """Word's "~$name.docx" owner files, left while a template is open, are not templates."""
    (tmp_path / "~$knowledgement.docx").write_bytes(b"\x00owner")
    assert check_templates(tmp_path) == []


def test_a_missing_template_directory_is_reported(tmp_path: Path) -> None:
    """Pointing at a directory that does not exist is one problem line."""
    assert check_templates(tmp_path / "nowhere") == [
        f"{tmp_path / 'nowhere'}: no such directory of letter templates"
    ]
