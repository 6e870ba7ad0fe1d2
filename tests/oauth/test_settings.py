"""The auth settings of mailboxes and smtp: mistakes are reported on one line, by key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.config import load_config
from mailflow.errors import ConfigError

BASE = """
rules = "stafford"

[[mailbox]]
name = "complaints"
address = "complaints@council.test"
user = "complaints@council.test"
"""


def loaded_error(tmp_path: Path, text: str) -> str:
    """The one-line error that loading ``text`` as mailflow.toml gives."""
    path = tmp_path / "mailflow.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as failed:
        load_config(path)
    return str(failed.value)


def test_oauth2_without_its_table_is_an_error(tmp_path: Path) -> None:
    """auth = "oauth2" with no oauth2 table names the mailbox and what is missing."""
    problem = loaded_error(tmp_path, BASE + 'auth = "oauth2"\n')
    assert problem.endswith(
        'mailbox[0]: Value error, auth = "oauth2" needs user and an oauth2 table'
    )


def test_entra_needs_exactly_one_client_secret_source(tmp_path: Path) -> None:
    """An Entra provider with no client secret says which keys may give one."""
    text = BASE + 'auth = "oauth2"\n[mailbox.oauth2]\nprovider = "entra"\ntenant = "t"\n'
    text += 'client_id = "c"\n'
    assert "give exactly one of client_secret, client_secret_file, client_secret_env" in (
        loaded_error(tmp_path, text)
    )


def test_smtp_refuses_oauthbearer(tmp_path: Path) -> None:
    """SMTP logs in with XOAUTH2 only, so asking it for OAUTHBEARER is a config error."""
    text = 'rules = "stafford"\n[smtp]\nuser = "a@council.test"\nauth = "oauth2"\n'
    text += '[smtp.oauth2]\nprovider = "command"\ntoken_command = "get-token"\n'
    text += 'mechanism = "oauthbearer"\n'
    assert "SMTP logs in with XOAUTH2 only" in loaded_error(tmp_path, text)


def test_a_token_command_string_is_split_like_a_shell_would(tmp_path: Path) -> None:
    """token_command may be one string, split with shell quoting, or a list."""
    path = tmp_path / "mailflow.toml"
    text = BASE + 'auth = "oauth2"\n[mailbox.oauth2]\nprovider = "command"\n'
    path.write_text(text + "token_command = \"/usr/bin/get-token --for 'the complaints box'\"\n")
    oauth2 = load_config(path).mailbox[0].oauth2
    assert oauth2 is not None
    assert oauth2.token_command == ("/usr/bin/get-token", "--for", "the complaints box")


def test_a_password_beside_oauth2_is_an_error(tmp_path: Path) -> None:
    """A password given with auth = "oauth2" would be silently unused: it is refused instead."""
    text = BASE + 'auth = "oauth2"\npassword = "old"\n[mailbox.oauth2]\nprovider = "command"\n'
    text += 'token_command = "get-token"\n'
    assert loaded_error(tmp_path, text).endswith('auth = "oauth2" takes no password')
