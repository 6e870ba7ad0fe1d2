"""The daemon's config file: the shipped example loads, and mistakes name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailflow.config import load_config
from mailflow.errors import ConfigError

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "mailflow.toml"


def test_shipped_example_config_is_valid() -> None:
    """deploy/mailflow.toml loads and says what the comments say."""
    config = load_config(EXAMPLE)
    [box] = config.mailbox
    assert (box.name, box.security, box.folders.quarantine) == ("complaints", "tls", "Quarantine")
    assert config.database_url() == "sqlite:////var/lib/mailflow/mailflow.db"


def test_misspelt_key_names_file_and_path(tmp_path: Path) -> None:
    """An unknown key is reported as file: mailbox[0].pasword: unknown key."""
    bad = tmp_path / "m.toml"
    bad.write_text(
        'rules = "stafford"\n[[mailbox]]\nname = "c"\naddress = "c@x.example"\npasword = "x"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"m.toml: mailbox\[0\].pasword: unknown key"):
        load_config(bad)


def test_password_never_appears_in_the_config_repr(tmp_path: Path) -> None:
    """Secrets are SecretStr: printing the config never shows them."""
    path = tmp_path / "m.toml"
    path.write_text(
        'rules = "stafford"\nsecret = "hunter2"\n[[mailbox]]\nname = "c"\n'
        'address = "c@x.example"\npassword = "s3cret-pw"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert "s3cret-pw" not in repr(config) and "hunter2" not in repr(config)
    assert config.mailbox[0].secret() == "s3cret-pw"


def test_password_from_an_unset_variable_is_one_line() -> None:
    """A password_env naming an unset variable says which variable."""
    from mailflow.config import MailboxConfig

    box = MailboxConfig(name="c", address="c@x.example", password_env="NO_SUCH_VAR_MF")
    with pytest.raises(ConfigError, match="NO_SUCH_VAR_MF: variable is not set"):
        box.secret()
