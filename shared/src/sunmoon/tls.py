"""TLS for every connection: a local certificate authority for development, client contexts that trust it.

``python -m sunmoon.tls init`` (and ``make up``, on first start) creates, in ``$SUNMOON_HOME/tls`` (never
the source tree):

* ``ca.pem`` / ``ca-key.pem``: a certificate authority (EC P-256, ten years; the key is mode 0600);
* ``server.pem`` / ``server-key.pem``: one server certificate signed by it (EC P-256, 825 days) whose
  names cover every way a service is reached here or in compose/Kubernetes: ``localhost``, ``127.0.0.1``,
  ``::1``, this machine's name, the five service names, ``nats``, ``postgres`` and ``*.svc``,
  ``*.svc.cluster.local`` forms.

Both are reused while valid and renewed when less than 30 days remain. In production the same three
files come from a Kubernetes Secret (or any files): ``SUNMOON_TLS_CERT_FILE``, ``SUNMOON_TLS_KEY_FILE``,
``SUNMOON_TLS_CA_FILE``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import os
import socket
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 3650
SERVER_DAYS = 825
RENEW_BEFORE = dt.timedelta(days=30)
SERVICE_NAMES = ("intake", "classifier", "notifier", "weather", "reporting", "nats", "postgres")
CA_FILE_ENV, CERT_FILE_ENV, KEY_FILE_ENV = "SUNMOON_TLS_CA_FILE", "SUNMOON_TLS_CERT_FILE", "SUNMOON_TLS_KEY_FILE"


def default_names() -> list[str]:
    names = ["localhost", "127.0.0.1", "::1"]
    host = socket.gethostname()
    if host and host not in names:
        names.append(host)
    for svc in SERVICE_NAMES:
        names += [svc, f"{svc}.svc", f"{svc}.svc.cluster.local"]
    return names + ["*.svc", "*.svc.cluster.local"]


@dataclass(frozen=True)
class LocalTLS:
    """The files of one local CA and its server certificate."""

    directory: Path

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key_file(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def cert_file(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "server-key.pem"

    def env(self) -> dict[str, str]:
        """The environment variables that make a service serve with these files and trust the CA."""
        return {CERT_FILE_ENV: str(self.cert_file), KEY_FILE_ENV: str(self.key_file), CA_FILE_ENV: str(self.ca_file)}


def default_dir() -> Path:
    from .crypto import sunmoon_home

    return sunmoon_home() / "tls"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _load_cert(path: Path) -> x509.Certificate | None:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError):
        return None


def _fresh(cert: x509.Certificate | None, now: dt.datetime) -> bool:
    return cert is not None and cert.not_valid_before_utc <= now and cert.not_valid_after_utc - now > RENEW_BEFORE


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _san(names: list[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for n in dict.fromkeys(names):
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            entries.append(x509.DNSName(n))
    return x509.SubjectAlternativeName(entries)


def _make_ca(files: LocalTLS, now: dt.datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Sun to Moon (local)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"Sun to Moon local CA {socket.gethostname()}")])
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                                         key_agreement=False, encipher_only=False, decipher_only=False),
                           critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))
    _write_key(files.ca_key_file, key)
    _write_cert(files.ca_file, cert)


def _make_server(files: LocalTLS, names: list[str], now: dt.datetime) -> None:
    ca_key = serialization.load_pem_private_key(files.ca_key_file.read_bytes(), password=None)
    ca = _load_cert(files.ca_file)
    assert ca is not None and isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    not_after = min(now + dt.timedelta(days=SERVER_DAYS), ca.not_valid_after_utc)
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sunmoon services")]))
            .issuer_name(ca.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .add_extension(_san(names), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    _write_key(files.key_file, key)
    _write_cert(files.cert_file, cert)


def _names_of(cert: x509.Certificate) -> set[str]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {str(v) for v in san.get_values_for_type(x509.DNSName)} | {
        str(v) for v in san.get_values_for_type(x509.IPAddress)}


def ensure_local_ca(directory: Path | None = None, *, extra_names: list[str] | None = None,
                    force: bool = False) -> tuple[LocalTLS, list[str]]:
    """Create or renew what is missing or expiring. Returns the files and what was (re)made."""
    files = LocalTLS(Path(directory) if directory else default_dir())
    files.directory.mkdir(parents=True, exist_ok=True)
    os.chmod(files.directory, 0o755)  # PostgreSQL's user (as root) reads the server pair from a copy
    now, made = _now(), []
    names = default_names() + list(extra_names or [])
    if force or not _fresh(_load_cert(files.ca_file), now) or not files.ca_key_file.exists():
        _make_ca(files, now)
        made.append("ca")
    server = _load_cert(files.cert_file)
    if ("ca" in made or force or not _fresh(server, now) or not files.key_file.exists()
            or server.issuer != _load_cert(files.ca_file).subject or not set(names) <= _names_of(server)):
        _make_server(files, names, now)
        made.append("server")
    return files, made


# -- clients ------------------------------------------------------------------------------

def ca_file_from_env(environ: dict[str, str] | None = None) -> str | None:
    return (os.environ if environ is None else environ).get(CA_FILE_ENV) or None


def client_ssl_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """Verifies servers against the system's CAs plus ``ca_file`` (or ``SUNMOON_TLS_CA_FILE``)."""
    ctx = ssl.create_default_context()
    ca = ca_file or ca_file_from_env()
    if ca:
        ctx.load_verify_locations(cafile=str(ca))
    return ctx


def httpx_verify(ca_file: str | Path | None = None) -> ssl.SSLContext | bool:
    """What to pass as httpx's ``verify=`` for a call to another service of this system."""
    return client_ssl_context(ca_file) if (ca_file or ca_file_from_env()) else True


def nats_tls(url: str, ca_file: str | Path | None = None) -> ssl.SSLContext | None:
    """A TLS context for nats-py when the URL says ``tls://`` or a CA is configured (else plain, which the
    client still upgrades if the server requires TLS)."""
    ca = ca_file or ca_file_from_env()
    if url.startswith("tls://") or ca:
        return client_ssl_context(ca)
    return None


def postgres_offers_tls(host: str, port: int, timeout: float = 2.0) -> bool:
    """Ask the server (SSLRequest) whether it speaks TLS: 'S' yes, 'N' no."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall((8).to_bytes(4, "big") + (80877103).to_bytes(4, "big"))
            return s.recv(1) == b"S"
    except OSError:
        return False


def postgres_url(dsn: str, ca_file: str | Path | None) -> str:
    """With a CA configured and the server offering TLS: verify it (``sslmode=verify-full``). An explicit
    ``sslmode`` in the URL always wins; otherwise asyncpg's default ``prefer`` applies."""
    parts = urlsplit(dsn)
    query = dict(parse_qsl(parts.query))
    if not ca_file or "sslmode" in query or not parts.hostname or parts.hostname.startswith("/"):
        return dsn
    if not postgres_offers_tls(parts.hostname, parts.port or 5432):
        return dsn
    query.update(sslmode="verify-full", sslrootcert=str(ca_file))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


# -- command line -------------------------------------------------------------------------

def describe(files: LocalTLS) -> str:
    lines = []
    for label, path in (("CA", files.ca_file), ("server", files.cert_file)):
        cert = _load_cert(path)
        if cert is None:
            lines.append(f"{label:7} {path}: missing (run `python -m sunmoon.tls init`)")
            continue
        extra = "" if label == "CA" else "\n        names: " + ", ".join(sorted(_names_of(cert)))
        lines.append(f"{label:7} {path}\n        subject: {cert.subject.rfc4514_string()}\n"
                     f"        valid until {cert.not_valid_after_utc:%Y-%m-%d}{extra}")
    lines.append(f"trust it: curl --cacert {files.ca_file} …; httpx/requests: SSL_CERT_FILE or verify=; "
                 f"system-wide: copy to /usr/local/share/ca-certificates/sunmoon.crt and run update-ca-certificates")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sunmoon.tls",
                                     description="The local certificate authority used by `make up` (development "
                                                 "only; production gives SUNMOON_TLS_* files).")
    parser.add_argument("--dir", type=Path, default=None, help="where the files live (default $SUNMOON_HOME/tls)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in (("init", "create the CA and the server certificate if missing or expiring (idempotent)"),
                       ("renew", "make a new server certificate now (and a new CA with --ca)"),
                       ("show", "print the files, their names and expiry, and how to trust the CA")):
        p = sub.add_parser(name, help=text)
        if name != "show":
            p.add_argument("--name", action="append", default=[], help="one more DNS name or IP (repeatable)")
        if name == "renew":
            p.add_argument("--ca", action="store_true", help="also replace the CA (every client must re-trust it)")
    args = parser.parse_args(argv)
    command = args.command or "show"
    directory = args.dir or default_dir()
    if command == "show":
        print(describe(LocalTLS(directory)))
        return 0
    if command == "renew" and not args.ca:
        LocalTLS(directory).cert_file.unlink(missing_ok=True)
    files, made = ensure_local_ca(directory, extra_names=args.name, force=command == "renew" and args.ca)
    print(("made: " + ", ".join(made)) if made else "nothing to do: CA and server certificate are valid")
    print(describe(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
