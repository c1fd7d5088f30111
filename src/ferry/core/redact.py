"""Masking what must not be shown: values of fields whose names say they are secrets or card data.

A run's steps keep their inputs and outputs whole (later steps read them); what people and scripts
see of them through the CLI and the control API goes through `redact` first.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "***"
#: Field names whose values are never shown: credentials, and payment card and bank details.
SENSITIVE = re.compile(
    r"(pass(word|wd)?|secret|token|api[_-]?key|authori[sz]ation|credential|cvv|cvc|card[_-]?number|"
    r"credit[_-]?card|iban|bank[_-]?account|routing[_-]?number|ssn|tax[_-]?id)",
    re.IGNORECASE,
)


def redact(value: Any) -> Any:
    """`value` with every sensitive field's value masked, at any depth."""
    if isinstance(value, dict):
        return {
            k: (MASK if isinstance(k, str) and SENSITIVE.search(k) and v is not None else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value
