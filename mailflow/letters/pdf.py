"""An optional PDF copy of a letter, made by LibreOffice when it is installed.

PDF is a convenience (the .docx is the letter of record), so a machine without LibreOffice
simply gets ``None``. Each conversion runs with a LibreOffice profile of its own in a fresh
temporary directory: two conversions sharing a profile lost a PDF while exiting 0
(TESTING.md), so success is judged by the PDF on disk, never by the exit status alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from mailflow.errors import MailError

DEFAULT_TIMEOUT_S = 120.0  # a letter takes about 2 s; the first start of a profile takes longer


def to_pdf(docx: bytes, *, timeout: float = DEFAULT_TIMEOUT_S) -> bytes | None:
    """The PDF of ``docx``, or ``None`` when ``soffice`` is not on PATH.

    Raises ``MailError`` when LibreOffice is present but produces no PDF or runs past
    ``timeout`` seconds (its whole process group is then killed).
    """
    soffice = shutil.which("soffice")
    if soffice is None:
        return None
    with tempfile.TemporaryDirectory(prefix="mailflow-pdf-") as tmp:
        work = Path(tmp)
        source = work / "letter.docx"
        source.write_bytes(docx)
        command = [
            soffice,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(work / 'profile').as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(work / "out"),
            str(source),
        ]
        returncode, stderr = _run(command, timeout)
        pdf = work / "out" / "letter.pdf"
        if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
            detail = stderr.strip().splitlines()[-1:] or ["no message"]
            raise MailError(f"LibreOffice made no PDF (exit {returncode}): {detail[0]}")
        return pdf.read_bytes()


def _run(command: list[str], timeout: float) -> tuple[int, str]:
    """Run ``command`` in its own process group; kill the group if it overruns ``timeout``."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # soffice starts soffice.bin: the group is the unit to kill
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise MailError(f"LibreOffice took more than {timeout:g} s to make a PDF") from exc
    return process.returncode, stderr.decode(errors="replace")
