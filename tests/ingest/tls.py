"""A Dovecot with TLS: STARTTLS on its IMAP port and implicit TLS on an IMAPS port.

The shared test servers run without TLS; this subclass (kept with the ingest tests, which alone
need it) swaps two settings of the same config for a self-signed certificate made by openssl.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

from tests.servers._net import free_port
from tests.servers.dovecot import Dovecot, DovecotUnavailable

_PLAIN = "ssl = no\n"
_NO_IMAPS = "  inet_listener imaps {\n    port = 0\n  }\n"


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, valid for a day."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise DovecotUnavailable("openssl is not installed: apt-get install -y openssl")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


class TlsDovecot(Dovecot):
    """`Dovecot` offering STARTTLS on `imap_port` and implicit TLS on `imaps_port`."""

    imaps_port: int
    cert: Path

    def _config(self) -> str:
        config = super()._config()
        if not hasattr(self, "cert"):
            self.cert, self.key = make_certificate(self.root)
            self.imaps_port = free_port(self.host)
        if _PLAIN not in config or _NO_IMAPS not in config:
            raise AssertionError("the Dovecot config changed: update tests/ingest/tls.py")
        tls = f"ssl = required\nssl_cert = <{self.cert}\nssl_key = <{self.key}\n"
        imaps = (
            f"  inet_listener imaps {{\n    address = {self.host}\n"
            f"    port = {self.imaps_port}\n  }}\n"
        )
        return config.replace(_PLAIN, tls).replace(_NO_IMAPS, imaps)

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts this server's certificate."""
        return ssl.create_default_context(cafile=str(self.cert))
