"""The read cursor: where a change-tracking walk stands, as one opaque string for the engine.

`next:<link>` is the middle of the initial walk (the `@odata.nextLink` of the last page);
`delta:<link>` is the `@odata.deltaLink` that returns the changes since the walk ended, and
`changes:<link>` the next page of a delta that did not fit in one page. Links are
kept relative to the API root, so a cursor survives the environment answering on another host name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ferry.core.errors import PermanentError

Kind = Literal["next", "delta", "changes"]
_KINDS: dict[str, Kind] = {"next": "next", "delta": "delta", "changes": "changes"}


@dataclass(frozen=True, slots=True)
class Cursor:
    kind: Kind
    link: str

    def encode(self) -> str:
        return f"{self.kind}:{self.link}"

    @classmethod
    def decode(cls, text: str) -> Cursor:
        kind, sep, link = text.partition(":")
        if not sep or not link or kind not in _KINDS:
            raise PermanentError(
                f"The cursor '{text[:60]}' was not issued by the Dynamics 365 connector; read again without one."
            )
        return cls(_KINDS[kind], link)
