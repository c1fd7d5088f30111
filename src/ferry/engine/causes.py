"""The cause of a failure, without the parts that belong to one record: what groups dead letters.

"TIMS refused customer 10042: Country 'Atlantis' is not an ISO code" and the same refusal for customer
10077 are one cause: fix it once, replay them all. Record ids, GUIDs, numbers, dates, e-mail addresses
and quoted values are replaced by placeholders; the words around them stay.
"""

from __future__ import annotations

import re

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    # Quoted values first: whatever is inside ('Atlantis', "x", `a.b`) belongs to the record.
    (re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`"), "<value>"),
    (re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"), "<id>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"), "<date>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    # Codes with a run of digits (SO-00012, C10042, INV2026-7): ids, not words.
    (re.compile(r"\b[A-Za-z][\w-]*\d{3,}[\w-]*|\b\d+[A-Za-z-][\w-]*\d[\w-]*"), "<id>"),
    # Standalone numbers (amounts, counts, ids); digits inside names such as address1_line1 stay.
    (re.compile(r"(?<![\w.<])[-+]?\d+(?:[.,]\d+)*(?![\w>])"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def cause(error: str, record_id: str | None = None) -> str:
    """`error` with the record-specific parts normalised away (`record_id` wherever it appears)."""
    text = error
    if record_id:
        text = re.sub(rf"(?<!\w){re.escape(record_id)}(?!\w)", "<id>", text)
    for pattern, placeholder in _RULES:
        text = pattern.sub(placeholder, text)
    return text.strip()
