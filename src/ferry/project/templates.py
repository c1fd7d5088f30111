"""Project templates shipped with ferry, and `ferry init`."""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ferry.core.errors import ConfigError
from ferry.project.checks import PROJECT_FILE
from ferry.project.models import NAME_PATTERN
from ferry.project.source import YamlSyntaxError, read_yaml
from ferry.vault import Vault

TEMPLATES = Path(__file__).parent / "templates"
METADATA = "template.yaml"
# Packaging tools treat dotfiles specially, so templates ship them without the dot.
RENAMED = {"gitignore": ".gitignore"}


@dataclass(frozen=True, slots=True)
class Template:
    """A ready-to-run project: its files, and the secrets `ferry init` stores in the new project's vault."""

    name: str
    path: Path
    description: str
    secrets: dict[str, str] = field(repr=False)

    def files(self) -> list[tuple[Path, Path]]:
        """(path in the project, path in the template) for every file the template writes."""
        found = []
        for source in sorted(self.path.rglob("*")):
            relative = source.relative_to(self.path)
            if source.is_file() and relative.as_posix() != METADATA and "__pycache__" not in relative.parts:
                found.append((relative.with_name(RENAMED.get(relative.name, relative.name)), source))
        return found


def templates() -> list[Template]:
    """Every template shipped with ferry, by name."""
    return [load_template(path.name) for path in sorted(TEMPLATES.iterdir()) if (path / PROJECT_FILE).is_file()]


def load_template(name: str) -> Template:
    """The template called `name`; ConfigError naming the others if there is none."""
    path = TEMPLATES / name
    if not (path / PROJECT_FILE).is_file():
        names = ", ".join(t.name for t in templates())
        raise ConfigError(f"No template named '{name}'. Templates: {names}.")
    meta: dict[str, object] = {}
    if (path / METADATA).is_file():
        try:
            data = read_yaml(path / METADATA).data
        except YamlSyntaxError as exc:
            raise ConfigError(f"The template '{name}' is broken: {exc.problem}") from None
        meta = data if isinstance(data, dict) else {}
    secrets = meta.get("secrets")
    return Template(
        name,
        path,
        str(meta.get("description", "")),
        {str(k): str(v) for k, v in secrets.items()} if isinstance(secrets, dict) else {},
    )


@dataclass(frozen=True, slots=True)
class Created:
    """What `init_project` wrote."""

    root: Path
    template: Template
    files: list[Path]
    vault: Vault | None


def init_project(
    root: Path, template_name: str, *, force: bool = False, environ: Mapping[str, str] | None = None
) -> Created:
    """Write `template_name` into `root` and store its secrets in the project's vault.

    Refuse (ConfigError) to overwrite any existing file unless `force`.
    """
    template = load_template(template_name)
    files = template.files()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{root} exists and is not a directory.")
    existing = [relative for relative, _ in files if (root / relative).exists()]
    if existing and not force:
        shown = ", ".join(str(p) for p in existing[:3]) + (", ..." if len(existing) > 3 else "")
        raise ConfigError(f"{root} already holds a project ({shown}); use --force to overwrite it.")
    for relative, source in files:
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    _name_after_directory(root)
    vault = None
    if template.secrets:
        vault = Vault.open(root, environ, create_key=True)
        for name, value in template.secrets.items():
            vault.set(name, value)
    return Created(root, template, [relative for relative, _ in files], vault)


def _name_after_directory(root: Path) -> None:
    """Name the project after its directory when that is a valid name."""
    name = root.resolve().name
    if re.fullmatch(NAME_PATTERN, name) and len(name) <= 64:
        path = root / PROJECT_FILE
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"^name: .*$", f"name: {name}", text, count=1, flags=re.MULTILINE), encoding="utf-8")
