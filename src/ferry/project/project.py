"""A loaded project: its typed spec, and connection configs with references resolved on demand."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, SecretStr
from pydantic import ValidationError as PydanticValidationError

from ferry.core.errors import ConfigError
from ferry.core.problems import Problem, ProblemsError
from ferry.project.checks import PROJECT_FILE, check_project, mapping_language_checker
from ferry.project.connectors import config_model
from ferry.project.diagnostics import dotted
from ferry.project.models import Connection, ProjectSpec, Sync, Workflow
from ferry.project.refs import Resolver, parse_reference
from ferry.vault import Vault


class Project:
    """A valid project in a directory. Build it with `Project.load(root)`."""

    def __init__(self, root: Path, spec: ProjectSpec, environ: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.spec = spec
        self._environ = os.environ if environ is None else environ
        self._resolver = Resolver(self._environ, lambda: Vault.open(self.root, self._environ))

    @classmethod
    def load(cls, root: Path | str, environ: Mapping[str, str] | None = None) -> Project:
        """Load and check the project in `root`; ProblemsError (exit code 2) listing every problem."""
        report = validate(root, environ)
        if report.project is None:
            raise ProblemsError(report.problems, summary=f"The project in {report.root} has problems")
        return report.project

    @property
    def file(self) -> Path:
        return self.root / PROJECT_FILE

    @property
    def connections(self) -> dict[str, Connection]:
        return self.spec.connections

    @property
    def syncs(self) -> list[Sync]:
        return self.spec.syncs

    @property
    def workflows(self) -> list[Workflow]:
        return self.spec.workflows

    def sync(self, name: str) -> Sync:
        """The sync called `name`; ConfigError naming the others if there is none."""
        for sync in self.spec.syncs:
            if sync.name == name:
                return sync
        names = ", ".join(s.name for s in self.spec.syncs) or "none"
        raise ConfigError(f"No sync named '{name}' in {self.file}. Syncs: {names}.")

    def mapping_path(self, sync: str, direction: str) -> Path:
        """The mapping file of `sync` for `direction` (`left_to_right` or `right_to_left`)."""
        relative: str | None = getattr(self.sync(sync).map, direction, None)
        if relative is None:
            raise ConfigError(f"The sync '{sync}' has no mapping for {direction}.")
        return self.root / relative

    def resolve(self, value: str, where: str) -> SecretStr:
        """A value of the project file that may be a `${secret:...}` or `${env:...}` reference, looked up now;
        `where` names its place for the error when it cannot be found."""
        ref = parse_reference(value)
        return SecretStr(value) if ref is None else self._resolver.resolve(ref, where)

    def connection_config(self, name: str) -> BaseModel:
        """The connector's Config for connection `name`, with `${secret:...}` and `${env:...}` resolved.

        Resolve only when opening the connection: the values are `SecretStr` (never printed) in the model,
        and nowhere else.
        """
        if name not in self.spec.connections:
            raise ConfigError(f"No connection named '{name}' in {self.file}.")
        connection = self.spec.connections[name]
        values: dict[str, Any] = {}
        for key, value in connection.settings.items():
            ref = parse_reference(value)
            where = f"connections.{name}.{key}"
            values[key] = value if ref is None else self._resolver.resolve(ref, where).get_secret_value()
        model = config_model(connection.type)
        try:
            return model.model_validate(values)
        except PydanticValidationError as exc:
            # Never str(exc): pydantic would quote the resolved values.
            wrong = "; ".join(
                f"{dotted(('connections', name, *e['loc']))}: {e['msg']}"
                for e in exc.errors(include_url=False, include_input=False, include_context=False)
            )
            raise ConfigError(f"The connection '{name}' cannot be opened: {wrong}") from None


@dataclass
class Report:
    """The outcome of `validate`: the project when it is valid, else every problem found."""

    root: Path
    project: Project | None
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    mappings: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(root: Path | str, environ: Mapping[str, str] | None = None) -> Report:
    """Check the project in `root` and report everything wrong with it at once."""
    root = Path(root)
    environ = os.environ if environ is None else environ
    found = check_project(root, environ, mapping_language_checker())
    project = Project(root, found.spec, environ) if found.spec is not None else None
    return Report(root, project, found.problems, found.notes, found.mappings)
