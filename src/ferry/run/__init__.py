"""Running a project: assemble connectors, mappings and the store into an engine, and serve it."""

from ferry.run.assemble import Assembly, assemble

__all__ = ["Assembly", "assemble"]
