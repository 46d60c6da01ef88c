"""Helpers the tests share: a crawl as the CLI runs it, the CLI in a subprocess."""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import subprocess
import sys
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scraper.runner import CrawlOptions, run_crawl
from scraper.standin import StandinServer
from storage.archive import Archive

ROOT = Path(__file__).resolve().parent.parent
QUIET = {"LOG_LEVEL": "WARNING", "NEWSDELTA_PROGRESS_INTERVAL": 0}
#: The installed console script, as a user runs it.
NEWSDELTA = str(Path(sys.executable).with_name("newsdelta"))


def crawl(server: StandinServer, db: Path, mode: str = "full", **settings: object) -> dict:
    """One crawl of `server`, as the CLI runs it (child process); returns the `crawls` row."""
    return run_crawl(CrawlOptions(db=str(db), mode=mode, base_url=server.url, settings={**QUIET, **settings}))


def open_archive(db: Path) -> Archive:
    return Archive.open(db, readonly=True)


def newsdelta(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the installed `newsdelta` command in a subprocess."""
    return run(NEWSDELTA, *args, cwd=cwd, env=env, timeout=timeout)


def python_module(module: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`python -m module args…` from the project root, as the bench's README runs it."""
    return run(sys.executable, "-m", module, *args, timeout=timeout)


def run(*command: str, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(command),
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        check=False,
    )


def tls_for_127_0_0_1(folder: Path) -> ssl.SSLContext:
    """A server context with a self-signed certificate for 127.0.0.1 (Scrapy, like a browser
    told to, does not verify it): the stand-in served over https."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "standin.crt", folder / "standin.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    return context
