"""Dynamics 365 (Dataverse Web API) connector."""
