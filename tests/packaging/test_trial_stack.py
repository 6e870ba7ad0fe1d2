"""The trial stack's mail servers run the configs the test suite runs."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from mailflow.config import load_config
from tests.servers.fixtures import server_unavailable

TRIAL = Path(__file__).resolve().parents[2] / "deploy" / "trial"


def test_trial_configs_are_the_ones_the_tests_render() -> None:
    """deploy/trial/*.conf equal what the tests' renderers produce today (no drift)."""
    if shutil.which("postconf") is None:
        server_unavailable("Postfix is not installed (its master.cf is the template)")
    spec = importlib.util.spec_from_file_location("render", TRIAL / "render.py")
    assert spec and spec.loader
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    for name, text in render.rendered().items():
        assert (TRIAL / name).read_text(encoding="utf-8") == text, (
            f"run deploy/trial/render.py ({name})"
        )


def test_trial_mailflow_config_is_valid() -> None:
    """The trial stack's mailflow.toml loads and points at the stack's services."""
    config = load_config(TRIAL / "mailflow.toml")
    assert (config.mailbox[0].host, config.smtp.host) == ("dovecot", "postfix")


@pytest.mark.parametrize("user", ["complaints@council.test", "resident@customer.test"])
def test_trial_users_cover_the_council_and_a_customer(user: str) -> None:
    """The council's mailbox and a customer's both exist, so replies can be read in the trial."""
    assert any(line.startswith(f"{user}:") for line in (TRIAL / "users").read_text().splitlines())
