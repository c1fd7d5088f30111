"""The encrypted secrets file of one project.

Layout of `<project>/.ferry/secrets.enc` (JSON, so a damaged file is easy to recognise):

    {"format": "ferry-vault/1", "key_id": "<16 hex>", "nonce": "<base64>", "ciphertext": "<base64>"}

The ciphertext is AES-256-GCM over `{"secrets": {name: value}}`; the format and key id are bound to it as
associated data, so editing any part of the file makes it fail to open. The key id is a keyed fingerprint
of the key: a different key is reported as a wrong key, anything else that fails as a damaged file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

from ferry.core.errors import ConfigError
from ferry.vault.keys import KEY_ENV, KEY_FILE_ENV, VaultKey, find_key

FORMAT = "ferry-vault/1"
SECRET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}")


def vault_file(root: Path) -> Path:
    """Where the secrets of the project in `root` are kept."""
    return root / ".ferry" / "secrets.enc"


def check_name(name: str) -> str:
    """`name` if it can name a secret; ConfigError otherwise."""
    if not SECRET_NAME.fullmatch(name):
        raise ConfigError(
            f"'{name}' cannot name a secret: use letters, digits, '-', '_' and '.', starting with a letter or digit."
        )
    return name


class Vault:
    """The named secrets of one project, decrypted in memory only while in use."""

    def __init__(self, path: Path, key: VaultKey) -> None:
        self.path = path
        self.key = key
        self._secrets: dict[str, str] = self._read() if path.exists() else {}

    @classmethod
    def open(cls, root: Path, environ: Mapping[str, str] | None = None, *, create_key: bool = False) -> Vault:
        """The vault of the project in `root`; with `create_key`, make a key file if no key is configured."""
        # Never make a new key for an existing vault: it could not open it.
        create = create_key and not vault_file(root).exists()
        key = find_key(root, os.environ if environ is None else environ, create=create)
        if key is None:
            raise ConfigError(
                f"No key for the vault of {root}: set ${KEY_ENV}, point ${KEY_FILE_ENV} at a key file, "
                f"or put the key in {root / '.ferry' / 'secret.key'}."
            )
        return cls(vault_file(root), key)

    def names(self) -> list[str]:
        """The names of the stored secrets, sorted; never their values."""
        return sorted(self._secrets)

    def __contains__(self, name: object) -> bool:
        return name in self._secrets

    def get(self, name: str) -> SecretStr:
        """The value stored under `name`, wrapped so it never prints; ConfigError if there is none."""
        if name not in self._secrets:
            raise ConfigError(
                f"No secret named '{name}' in {self.path}; "
                f"store it with: ferry secrets set {self.path.parent.parent} {name}"
            )
        return SecretStr(self._secrets[name])

    def set(self, name: str, value: str) -> None:
        """Store `value` under `name`, replacing any previous value, and write the file."""
        self._secrets[check_name(name)] = value
        self._write()

    def remove(self, name: str) -> None:
        """Forget `name`; ConfigError if it is not stored."""
        if name not in self._secrets:
            raise ConfigError(f"No secret named '{name}' in {self.path}.")
        del self._secrets[name]
        self._write()

    def _header(self) -> dict[str, str]:
        return {"format": FORMAT, "key_id": self.key.key_id}

    def _read(self) -> dict[str, str]:
        damaged = ConfigError(
            f"The vault {self.path} is damaged or was altered, so it cannot be decrypted. "
            "Restore it from a backup, or delete it and store the secrets again."
        )
        try:
            envelope = json.loads(self.path.read_bytes())
            header = {"format": envelope["format"], "key_id": envelope["key_id"]}
            nonce = base64.b64decode(envelope["nonce"], validate=True)
            ciphertext = base64.b64decode(envelope["ciphertext"], validate=True)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise damaged from None
        if header["format"] != FORMAT:
            raise ConfigError(f"The vault {self.path} has format {header['format']!r}; this ferry reads {FORMAT}.")
        if header["key_id"] != self.key.key_id:
            raise ConfigError(
                f"The key from {self.key.origin} does not open the vault {self.path}: it was encrypted with "
                "another key. Use the key it was created with."
            )
        try:
            plain = AESGCM(self.key.material).decrypt(nonce, ciphertext, _aad(header))
            stored: Any = json.loads(plain)["secrets"]
        except (InvalidTag, ValueError, KeyError, TypeError):
            raise damaged from None
        if not isinstance(stored, dict) or not all(isinstance(v, str) for v in stored.values()):
            raise damaged
        return {str(k): v for k, v in stored.items()}

    def _write(self) -> None:
        header = self._header()
        nonce = secrets.token_bytes(12)
        plain = json.dumps({"secrets": self._secrets}, sort_keys=True).encode()
        ciphertext = AESGCM(self.key.material).encrypt(nonce, plain, _aad(header))
        envelope = {
            **header,
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Write beside the file and rename, so a crash never leaves half a vault.
        temporary = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            json.dump(envelope, out, indent=1)
            out.write("\n")
        os.replace(temporary, self.path)


def _aad(header: Mapping[str, str]) -> bytes:
    return json.dumps(dict(header), sort_keys=True).encode()
