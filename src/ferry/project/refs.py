"""`${secret:NAME}` and `${env:NAME}`: values a project names but never holds."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from ferry.core.errors import ConfigError
from ferry.vault import SECRET_NAME, Vault

REFERENCE = re.compile(r"\$\{(?P<kind>secret|env):(?P<name>[^}]*)\}")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
#: What the JSON Schema accepts in a secret field.
REFERENCE_PATTERN = r"^\$\{(secret:[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}|env:[A-Za-z_][A-Za-z0-9_]*)\}$"


@dataclass(frozen=True, slots=True)
class Reference:
    """A value to look up when a connection is opened."""

    kind: Literal["secret", "env"]
    name: str

    def __str__(self) -> str:
        return f"${{{self.kind}:{self.name}}}"


class BadReference(ValueError):
    """A `${...}` value that is not a well-formed reference; the message says why."""


def parse_reference(value: object) -> Reference | None:
    """The reference `value` spells, None for a plain value, BadReference for a malformed `${...}`."""
    if not isinstance(value, str) or "${" not in value:
        return None
    match = REFERENCE.fullmatch(value.strip())
    if match is None:
        raise BadReference(
            "a reference must be the whole value, written ${secret:NAME} or ${env:NAME}"
            if REFERENCE.search(value)
            else "unknown reference: write ${secret:NAME} (from the project's vault) or ${env:NAME}"
        )
    kind, name = match["kind"], match["name"]
    if kind == "secret" and not SECRET_NAME.fullmatch(name):
        raise BadReference(f"'{name}' cannot name a secret: use letters, digits, '-', '_' and '.'")
    if kind == "env" and not ENV_NAME.fullmatch(name):
        raise BadReference(f"'{name}' cannot name an environment variable")
    return Reference("secret" if kind == "secret" else "env", name)


class Resolver:
    """Looks references up: secrets in the project's vault (opened on first use), variables in `environ`."""

    def __init__(self, environ: Mapping[str, str], open_vault: Callable[[], Vault]) -> None:
        self.environ = environ
        self._open_vault = open_vault
        self._vault: Vault | None = None

    def resolve(self, ref: Reference, where: str) -> SecretStr:
        """The value of `ref`, wrapped so it never prints; ConfigError naming `where` it was needed."""
        if ref.kind == "env":
            if ref.name not in self.environ:
                raise ConfigError(f"{where} needs the environment variable {ref.name}, which is not set.")
            return SecretStr(self.environ[ref.name])
        if self._vault is None:
            self._vault = self._open_vault()
        if ref.name not in self._vault:
            raise ConfigError(
                f"{where} needs the secret '{ref.name}', which is not in {self._vault.path}; "
                f"store it with: ferry secrets set {self._vault.path.parent.parent} {ref.name}"
            )
        return self._vault.get(ref.name)
