"""The three roles: viewers look, operators also replay and resolve, admins also change connections and people."""

from __future__ import annotations

from typing import Literal

Role = Literal["viewer", "operator", "admin"]
ROLES: tuple[Role, ...] = ("viewer", "operator", "admin")


def allows(held: Role, needed: Role) -> bool:
    """Each role can do everything the roles before it can."""
    return ROLES.index(held) >= ROLES.index(needed)
