"""Where a project's vault key comes from: `FERRY_SECRET_KEY`, a key file named by `FERRY_SECRET_KEY_FILE`,
or `<project>/.ferry/secret.key`, created with mode 0600 the first time a secret is stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ferry.core.errors import ConfigError

KEY_ENV = "FERRY_SECRET_KEY"
KEY_FILE_ENV = "FERRY_SECRET_KEY_FILE"
KEY_BYTES = 32


@dataclass(frozen=True, slots=True)
class VaultKey:
    """A 256-bit key and where it was found (for messages; never the key itself)."""

    material: bytes
    origin: str

    @property
    def key_id(self) -> str:
        """A short public fingerprint that tells a wrong key from a damaged file."""
        return hmac.new(self.material, b"ferry-vault-key-id", hashlib.sha256).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"VaultKey(origin={self.origin!r})"


def new_key_text() -> str:
    """A fresh key, as text to put in `FERRY_SECRET_KEY` or a key file."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def decode_key(text: str, origin: str) -> VaultKey:
    """Parse the text form of a key (URL-safe base64 of 32 bytes)."""
    try:
        material = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError):
        material = b""
    if len(material) != KEY_BYTES:
        raise ConfigError(
            f"The vault key in {origin} is not a ferry key (expected URL-safe base64 of {KEY_BYTES} bytes). "
            "Make one with: ferry secrets new-key"
        )
    return VaultKey(material, origin)


def default_key_file(root: Path) -> Path:
    """The key file kept beside a project's vault when no other key is configured."""
    return root / ".ferry" / "secret.key"


def find_key(root: Path, environ: Mapping[str, str], *, create: bool = False) -> VaultKey | None:
    """The key for the vault of the project in `root`; None when there is none and `create` is false."""
    if text := environ.get(KEY_ENV):
        return decode_key(text, f"${KEY_ENV}")
    if named := environ.get(KEY_FILE_ENV):
        path = Path(named).expanduser()
        if not path.is_file():
            raise ConfigError(f"${KEY_FILE_ENV} names {path}, which does not exist.")
        return _read_key_file(path)
    path = default_key_file(root)
    if path.is_file():
        return _read_key_file(path)
    if not create:
        return None
    return _create_key_file(path)


def _read_key_file(path: Path) -> VaultKey:
    if os.name == "posix" and stat.S_IMODE(path.stat().st_mode) & 0o077:
        raise ConfigError(
            f"The vault key file {path} can be read by other users of this machine; restrict it: chmod 600 {path}"
        )
    return decode_key(path.read_text(encoding="ascii"), str(path))


def _create_key_file(path: Path) -> VaultKey:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _ignore_key_file(path.parent)
    text = new_key_text()
    # O_EXCL: never replace a key that another process has just written; 0600 from the first byte.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(text + "\n")
    return decode_key(text, str(path))


def _ignore_key_file(directory: Path) -> None:
    """Keep the key out of version control even in projects without a .gitignore of their own."""
    ignore = directory / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# The vault key must never be committed; secrets.enc may be.\nsecret.key\n")
