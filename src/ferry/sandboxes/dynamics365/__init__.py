"""Dynamics 365 (Dataverse) sandbox: Entra ID client credentials and the Web API (OData v4)."""

from ferry.sandboxes.dynamics365.app import Dynamics365Sandbox

__all__ = ["Dynamics365Sandbox"]
