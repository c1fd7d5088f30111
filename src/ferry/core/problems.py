"""Problems found in a user's files, with where they are and how to fix them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ferry.core.errors import ConfigError


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a project file, mapping or flag."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line, self.column) if p is not None)
        text = f"{where}: {self.message}" if where else self.message
        return f"{text} (hint: {self.hint})" if self.hint else text


class ProblemsError(ConfigError):
    """Several problems at once; `problems` lists them all, so a user fixes them in one pass."""

    def __init__(self, problems: Sequence[Problem], summary: str | None = None) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        text = summary or f"{count} problem{'s' if count != 1 else ''} found"
        super().__init__(text + ":\n" + "\n".join(f"  {p}" for p in self.problems))

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.problems,))
