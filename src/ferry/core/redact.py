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


#: Credentials as they appear in free text: `Bearer abc`, `client_secret=abc`, `"password": "abc"`.
_SCHEME = re.compile(r"\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
_ASSIGNED = re.compile(
    r"((?:pass(?:word|wd)?|secret|token|api[_-]?key|authori[sz]ation|credential|client[_-]?secret|sig)"
    r"[\w-]*[\"']?\s*[:=]\s*[\"']?)(?!\*\*\*)([^\s\"'&,;}]+)",
    re.IGNORECASE,
)


def scrub(text: str) -> str:
    """`text` (an error message, a log line) with credentials that appear in it masked."""
    if not text:
        return text
    return _ASSIGNED.sub(lambda m: m.group(1) + MASK, _SCHEME.sub(lambda m: m.group(1) + " " + MASK, text))
