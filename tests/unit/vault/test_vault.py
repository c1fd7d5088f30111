from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from ferry.core.errors import ConfigError
from ferry.vault import KEY_ENV, KEY_FILE_ENV, Vault, default_key_file, new_key_text, vault_file


def fresh(root: Path) -> Vault:
    return Vault.open(root, {}, create_key=True)


def test_secrets_round_trip_through_the_file(tmp_path: Path) -> None:
    fresh(tmp_path).set("api-key", "v@lue with spaces ✓")
    assert Vault.open(tmp_path, {}).get("api-key").get_secret_value() == "v@lue with spaces ✓"


def test_the_file_holds_no_value_or_name_in_clear(tmp_path: Path) -> None:
    fresh(tmp_path).set("api-key", "plain-value-123")
    raw = vault_file(tmp_path).read_bytes()
    assert b"plain-value-123" not in raw and b"api-key" not in raw


def test_names_are_listed_sorted_without_values(tmp_path: Path) -> None:
    vault = fresh(tmp_path)
    vault.set("zeta", "1")
    vault.set("alpha", "2")
    assert Vault.open(tmp_path, {}).names() == ["alpha", "zeta"]


def test_remove_forgets_a_secret(tmp_path: Path) -> None:
    vault = fresh(tmp_path)
    vault.set("a", "1")
    vault.remove("a")
    assert "a" not in Vault.open(tmp_path, {})
    with pytest.raises(ConfigError, match="No secret named 'a'"):
        vault.remove("a")


def test_a_missing_secret_says_how_to_store_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ferry secrets set"):
        fresh(tmp_path).get("nope")


def test_key_file_is_created_readable_by_the_owner_only_and_ignored_by_git(tmp_path: Path) -> None:
    fresh(tmp_path).set("a", "1")
    key_file = default_key_file(tmp_path)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(vault_file(tmp_path).stat().st_mode) == 0o600
    assert "secret.key" in (tmp_path / ".ferry" / ".gitignore").read_text()


def test_a_wrong_key_is_refused_as_a_wrong_key(tmp_path: Path) -> None:
    fresh(tmp_path).set("a", "1")
    with pytest.raises(ConfigError, match="does not open the vault"):
        Vault.open(tmp_path, {KEY_ENV: new_key_text()})


def test_a_tampered_file_is_refused_as_damaged(tmp_path: Path) -> None:
    fresh(tmp_path).set("a", "1")
    path = vault_file(tmp_path)
    envelope = json.loads(path.read_text())
    flipped = envelope["ciphertext"][:10] + ("A" if envelope["ciphertext"][10] != "A" else "B")
    envelope["ciphertext"] = flipped + envelope["ciphertext"][11:]
    path.write_text(json.dumps(envelope))
    with pytest.raises(ConfigError, match="damaged or was altered"):
        Vault.open(tmp_path, {})


def test_a_truncated_file_is_refused_as_damaged(tmp_path: Path) -> None:
    fresh(tmp_path).set("a", "1")
    path = vault_file(tmp_path)
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ConfigError, match="damaged"):
        Vault.open(tmp_path, {})


def test_the_key_from_the_environment_is_used_and_no_key_file_is_made(tmp_path: Path) -> None:
    env = {KEY_ENV: new_key_text()}
    Vault.open(tmp_path, env, create_key=True).set("a", "1")
    assert not default_key_file(tmp_path).exists()
    assert Vault.open(tmp_path, env).get("a").get_secret_value() == "1"


def test_a_key_file_kept_elsewhere_is_used(tmp_path: Path) -> None:
    elsewhere = tmp_path / "keys" / "project.key"
    elsewhere.parent.mkdir()
    elsewhere.write_text(new_key_text())
    os.chmod(elsewhere, 0o600)
    env = {KEY_FILE_ENV: str(elsewhere)}
    Vault.open(tmp_path / "p", env, create_key=True).set("a", "1")
    assert not default_key_file(tmp_path / "p").exists()
    assert Vault.open(tmp_path / "p", env).names() == ["a"]


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    fresh(tmp_path).set("a", "1")
    os.chmod(default_key_file(tmp_path), 0o644)
    with pytest.raises(ConfigError, match="chmod 600"):
        Vault.open(tmp_path, {})


def test_a_malformed_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a ferry key"):
        Vault.open(tmp_path, {KEY_ENV: "too-short"})


def test_no_key_and_no_permission_to_create_one_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=KEY_ENV):
        Vault.open(tmp_path, {})


def test_an_existing_vault_never_gets_a_new_key(tmp_path: Path) -> None:
    fresh(tmp_path).set("a", "1")
    default_key_file(tmp_path).unlink()
    with pytest.raises(ConfigError, match="No key"):
        Vault.open(tmp_path, {}, create_key=True)


def test_secret_names_are_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot name a secret"):
        fresh(tmp_path).set("has space", "1")
