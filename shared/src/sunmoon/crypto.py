"""Field-level encryption of personal data: AES-256-GCM with a key ring.

Ciphertext layout (bytes)::

    0x01 | len(key_id) (1 byte) | key_id (ASCII) | nonce (12 bytes) | ciphertext+tag

The associated data binds a ciphertext to ``table.column:row_id``; a value
copied to another row or column fails to decrypt with :class:`DecryptionError`.
New writes use the newest key; any key still in the ring decrypts.

A blind index (HMAC-SHA256 of the normalised phone number under its own key)
lets intake find "every complaint from this number" without decrypting.

Keys come from the environment::

    SUNMOON_DATA_KEYS="2026b:<base64 32 bytes>,2026a:<base64 32 bytes>"   # first is newest
    SUNMOON_BLIND_INDEX_KEY="<base64 32 bytes>"

or from files (a mounted Kubernetes Secret, a Docker secret): ``SUNMOON_DATA_KEYS_FILE`` and
``SUNMOON_BLIND_INDEX_KEY_FILE`` name files holding the same text (entries may also be one per line).
Setting both a variable and its ``_FILE`` is refused as ambiguous.

With neither set and development keys allowed, a key file is generated once
outside the source tree (``~/.local/share/sunmoon/dev-keys.json`` or
``$SUNMOON_HOME/dev-keys.json``) and reused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT_VERSION = 1
_KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class DecryptionError(Exception):
    """A ciphertext was tampered with, moved to another row, or its key is gone."""


class KeyConfigError(Exception):
    """Keys are missing or malformed; the message says how to fix it."""


class Revealed:
    """A decrypted value. ``str()`` and ``repr()`` never show it; call :meth:`reveal`.

    This is what makes it hard to log personal data by accident: an f-string,
    a structlog field or an exception message renders ``[redacted]``.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Revealed([redacted])"

    def __str__(self) -> str:
        return "[redacted]"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Revealed) and hmac.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class KeyRing:
    """Data keys, newest first, plus the blind-index key."""

    keys: tuple[tuple[str, bytes], ...]
    blind_index_key: bytes

    def __post_init__(self) -> None:
        if not self.keys:
            raise KeyConfigError("the key ring is empty: set SUNMOON_DATA_KEYS")
        for key_id, key in self.keys:
            if not _KEY_ID_RE.match(key_id):
                raise KeyConfigError(f"key id {key_id!r} must be 1-32 of A-Z a-z 0-9 _ . -")
            if len(key) != 32:
                raise KeyConfigError(f"key {key_id!r} is {len(key)} bytes; AES-256 needs 32")
        if len(self.blind_index_key) < 32:
            raise KeyConfigError("SUNMOON_BLIND_INDEX_KEY must be at least 32 bytes (base64)")

    @property
    def active_key_id(self) -> str:
        return self.keys[0][0]

    def key(self, key_id: str) -> bytes:
        for kid, key in self.keys:
            if kid == key_id:
                return key
        raise DecryptionError(f"key {key_id!r} is not in the key ring (was it removed too early?)")

    def with_new_key(self, key_id: str, key: bytes | None = None) -> KeyRing:
        """A ring whose newest key is ``key_id`` (generated when not given)."""
        return KeyRing(((key_id, key or AESGCM.generate_key(256)), *self.keys), self.blind_index_key)

    # -- serialisation -------------------------------------------------------------
    @classmethod
    def parse(cls, data_keys: str, blind_index_key: str) -> KeyRing:
        keys = []
        for item in filter(None, (p.strip() for p in re.split(r"[,\n]", data_keys))):
            if ":" not in item:
                raise KeyConfigError("SUNMOON_DATA_KEYS entries look like '<key_id>:<base64 key>'")
            key_id, b64 = item.split(":", 1)
            keys.append((key_id.strip(), _b64decode(b64, f"data key {key_id!r}")))
        return cls(tuple(keys), _b64decode(blind_index_key, "SUNMOON_BLIND_INDEX_KEY"))

    def to_env(self) -> dict[str, str]:
        return {
            "SUNMOON_DATA_KEYS": ",".join(
                f"{kid}:{base64.b64encode(k).decode()}" for kid, k in self.keys
            ),
            "SUNMOON_BLIND_INDEX_KEY": base64.b64encode(self.blind_index_key).decode(),
        }

    @classmethod
    def generate(cls, key_id: str = "dev1") -> KeyRing:
        return cls(((key_id, AESGCM.generate_key(256)),), secrets.token_bytes(32))


def _b64decode(value: str, what: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except ValueError as exc:
        raise KeyConfigError(f"{what} is not valid base64") from exc


def sunmoon_home() -> Path:
    """Where local state lives (development keys, embedded servers' data): never the source tree."""
    if os.environ.get("SUNMOON_HOME"):
        return Path(os.environ["SUNMOON_HOME"])
    if os.geteuid() == 0:
        return Path("/var/lib/sunmoon")
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "sunmoon"


def _from_env_or_file(env: Any, name: str) -> str | None:
    """``name`` from the environment, or the content of the file named by ``name_FILE``."""
    value, file = env.get(name), env.get(f"{name}_FILE")
    if value and file:
        raise KeyConfigError(f"set {name} or {name}_FILE, not both")
    if not file:
        return value or None
    try:
        text = Path(file).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyConfigError(f"{name}_FILE={file}: cannot read it ({exc.__class__.__name__})") from None
    if not text:
        raise KeyConfigError(f"{name}_FILE={file} is empty")
    return text


def load_keyring(environ: dict[str, str] | None = None, *, allow_dev_keys: bool = True) -> KeyRing:
    """The ring from SUNMOON_DATA_KEYS / SUNMOON_BLIND_INDEX_KEY (or their ``_FILE`` variants); with
    neither and ``allow_dev_keys``, development keys kept in ``$SUNMOON_HOME/dev-keys.json``."""
    env = os.environ if environ is None else environ
    data_keys = _from_env_or_file(env, "SUNMOON_DATA_KEYS")
    bidx = _from_env_or_file(env, "SUNMOON_BLIND_INDEX_KEY")
    if data_keys and bidx:
        return KeyRing.parse(data_keys, bidx)
    if data_keys or bidx:
        raise KeyConfigError("set both SUNMOON_DATA_KEYS and SUNMOON_BLIND_INDEX_KEY (or their _FILE), or neither")
    if not allow_dev_keys:
        raise KeyConfigError(
            "no data keys: set SUNMOON_DATA_KEYS and SUNMOON_BLIND_INDEX_KEY, or SUNMOON_DATA_KEYS_FILE and "
            "SUNMOON_BLIND_INDEX_KEY_FILE (generate with `python -m sunmoon.crypto generate`)"
        )
    path = sunmoon_home() / "dev-keys.json"
    if path.exists():
        stored = json.loads(path.read_text())
        return KeyRing.parse(stored["SUNMOON_DATA_KEYS"], stored["SUNMOON_BLIND_INDEX_KEY"])
    ring = KeyRing.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(ring.to_env(), fh)
    try:
        os.link(tmp, path)  # first writer wins if several services start at once
    except FileExistsError:
        tmp.unlink()
        return load_keyring(environ, allow_dev_keys=allow_dev_keys)
    tmp.unlink()
    return ring


class FieldCipher:
    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    @staticmethod
    def _aad(table: str, column: str, row_id: object) -> bytes:
        return f"sunmoon:{table}.{column}:{row_id}".encode()

    def encrypt(self, plaintext: str, *, table: str, column: str, row_id: object) -> bytes:
        key_id = self.ring.active_key_id
        nonce = secrets.token_bytes(12)
        ct = AESGCM(self.ring.key(key_id)).encrypt(
            nonce, plaintext.encode(), self._aad(table, column, row_id)
        )
        kid = key_id.encode()
        return bytes([FORMAT_VERSION, len(kid)]) + kid + nonce + ct

    def decrypt(self, blob: bytes, *, table: str, column: str, row_id: object) -> Revealed:
        key_id, nonce, ct = self.parse(blob)
        try:
            pt = AESGCM(self.ring.key(key_id)).decrypt(nonce, ct, self._aad(table, column, row_id))
        except InvalidTag:
            raise DecryptionError(
                f"ciphertext for {table}.{column} row {row_id} failed authentication "
                "(tampered, or moved from another row)"
            ) from None
        return Revealed(pt.decode())

    @staticmethod
    def parse(blob: bytes) -> tuple[str, bytes, bytes]:
        blob = bytes(blob)
        if len(blob) < 2 or blob[0] != FORMAT_VERSION:
            raise DecryptionError("not a Sun to Moon ciphertext (unknown format version)")
        n = blob[1]
        if len(blob) < 2 + n + 12 + 16:
            raise DecryptionError("ciphertext is truncated")
        key_id = blob[2 : 2 + n].decode("ascii", "replace")
        return key_id, blob[2 + n : 14 + n], blob[14 + n :]

    @classmethod
    def key_id_of(cls, blob: bytes) -> str:
        return cls.parse(blob)[0]

    def needs_rotation(self, blob: bytes) -> bool:
        return self.key_id_of(blob) != self.ring.active_key_id

    def blind_index(self, phone: str) -> bytes:
        return hmac.new(self.ring.blind_index_key, normalize_phone(phone).encode(), hashlib.sha256).digest()


_PHONE_DIGITS = re.compile(r"\D")


def normalize_phone(phone: str) -> str:
    """Digits only, +82 turned into a leading 0: '+82 10-1234-5678' -> '01012345678'."""
    digits = _PHONE_DIGITS.sub("", phone)
    if digits.startswith("82") and len(digits) >= 11:
        digits = "0" + digits[2:]
    return digits


def mask_phone(phone: str) -> str:
    """'01012345678' -> '010-****-5678' (what a worker's SMS and a report may show)."""
    d = normalize_phone(phone)
    if len(d) < 8:
        return "*" * len(d)
    head = d[:3] if d.startswith("01") else d[: len(d) - 8]
    return f"{head}-****-{d[-4:]}"


def mask_name(name: str) -> str:
    """'김민수' -> '김*수', '이준' -> '이*'."""
    name = name.strip()
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m sunmoon.crypto",
        description="Generate Sun to Moon data keys (print them as environment variables).",
    )
    sub = parser.add_subparsers(dest="cmd", required=True)
    gen = sub.add_parser("generate", help="print a fresh SUNMOON_DATA_KEYS / SUNMOON_BLIND_INDEX_KEY pair")
    gen.add_argument("--key-id", default="k1", help="id of the new data key (default: k1)")
    args = parser.parse_args(argv)
    if args.cmd == "generate":
        for k, v in KeyRing.generate(args.key_id).to_env().items():
            print(f"{k}={v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
