"""Mapping suggestions: for a target field, the source fields most likely to feed it, ranked, each with the
expression to write, a confidence in [0, 1] and a one-line reason. Pure and offline: names (tokenised, with
ERP/CRM synonyms), types, descriptions and sample values; no model. See docs/mapping-suggestions.md."""

from ferry.mapping.suggest.fields import Field, Suggestion
from ferry.mapping.suggest.rank import suggest

__all__ = ["Field", "Suggestion", "suggest"]
