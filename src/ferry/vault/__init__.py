"""The local secrets vault: one encrypted file per project, opened with a key kept apart from it."""

from ferry.vault.keys import KEY_ENV, KEY_FILE_ENV, VaultKey, default_key_file, find_key, new_key_text
from ferry.vault.store import SECRET_NAME, Vault, check_name, vault_file

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "SECRET_NAME",
    "Vault",
    "VaultKey",
    "check_name",
    "default_key_file",
    "find_key",
    "new_key_text",
    "vault_file",
]
