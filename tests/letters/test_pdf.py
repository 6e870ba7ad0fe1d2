"""The optional PDF: None without LibreOffice, a profile per conversion, no PDF an error."""

from __future__ import annotations

import shutil
import stat
import sys
import time
from pathlib import Path

import pytest

from mailflow.errors import MailError
from mailflow.letters import LetterContext, render_letter, to_pdf

FAKE_SOFFICE = """\
#!{python}
# A stand-in for LibreOffice: records its arguments and writes the PDF it is told to.
import pathlib, sys, time
args = sys.argv[1:]
with open({log!r}, "a") as log:
    log.write(" ".join(args) + "\\n")
mode = {mode!r}
if mode == "hang":
    time.sleep(60)
if mode == "pdf":
    outdir = pathlib.Path(args[args.index("--outdir") + 1])
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / (pathlib.Path(args[-1]).stem + ".pdf")).write_bytes(b"%PDF-1.7 fake")
"""


def install_fake_soffice(directory: Path, mode: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a fake ``soffice`` (mode "pdf", "nothing" or "hang") alone on PATH; returns its log."""
    log = directory / "soffice.log"
    script = directory / "soffice"
    script.write_text(FAKE_SOFFICE.format(python=sys.executable, log=str(log), mode=mode))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", str(directory))
    return log


def test_no_pdf_is_made_without_libreoffice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without soffice on PATH the PDF is simply absent (it is optional)."""
    monkeypatch.setenv("PATH", str(tmp_path))
    assert to_pdf(b"PK docx bytes") is None


def test_each_conversion_gets_its_own_libreoffice_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two conversions never share a UserInstallation profile, which lost PDFs in testing."""
    log = install_fake_soffice(tmp_path, "pdf", monkeypatch)
    assert to_pdf(b"one") == b"%PDF-1.7 fake"
    assert to_pdf(b"two") == b"%PDF-1.7 fake"
    calls = log.read_text().splitlines()
    profiles = [
        word for call in calls for word in call.split() if word.startswith("-env:UserInstallation=")
    ]
    assert len(profiles) == 2 and profiles[0] != profiles[1]
    assert all(p.startswith("-env:UserInstallation=file:///") for p in profiles)
    assert all("--headless" in call and "--convert-to pdf" in call for call in calls)


def test_a_conversion_that_exits_0_without_a_pdf_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Success is the PDF on disk, not the exit status: a lost PDF raises MailError."""
    install_fake_soffice(tmp_path, "nothing", monkeypatch)
    with pytest.raises(MailError, match=r"LibreOffice made no PDF \(exit 0\)"):
        to_pdf(b"docx")


def test_a_conversion_that_hangs_is_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A LibreOffice that never finishes is killed after the timeout and reported."""
    install_fake_soffice(tmp_path, "hang", monkeypatch)
    started = time.monotonic()
    with pytest.raises(MailError, match="took more than"):
        to_pdf(b"docx", timeout=1)
    assert time.monotonic() - started < 10


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_converts_a_letter_to_pdf(
    template_dir: Path, stafford_ctx: LetterContext
) -> None:
    """With LibreOffice installed, a rendered letter becomes a PDF."""
    pdf = to_pdf(render_letter(template_dir, "stage_reply", stafford_ctx))
    assert pdf is not None and pdf.startswith(b"%PDF")
