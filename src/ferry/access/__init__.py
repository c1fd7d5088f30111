"""Who may use the console and the control API: people, roles, sessions, API tokens, and what they did."""

from ferry.access.people import AccessStore, Action, User
from ferry.access.policy import AccessPolicy, Principal
from ferry.access.roles import ROLES, Role

__all__ = ["ROLES", "AccessPolicy", "AccessStore", "Action", "Principal", "Role", "User"]
