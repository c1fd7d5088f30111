"""Field names as words: camelCase, snake_case and Dataverse's glued lower case (`stateorprovince`) split,
vendor prefixes dropped, and each word replaced by its concept so that `telephone1` and `Phone` meet."""

from __future__ import annotations

import re
from functools import lru_cache

#: Prefixes that say who made a field, not what it holds (Dataverse publishers, custom-field markers).
_NOISE_PREFIXES = ("new", "msdyn", "cr", "mserp", "zz", "ybp", "x", "udf", "custom")

#: Words ERP/CRM field names are glued from; the splitter finds the longest of them first.
_WORDS = [
    "account",
    "address",
    "amount",
    "balance",
    "bank",
    "billing",
    "birth",
    "business",
    "city",
    "code",
    "company",
    "composite",
    "contact",
    "country",
    "county",
    "credit",
    "currency",
    "customer",
    "date",
    "day",
    "default",
    "description",
    "discount",
    "due",
    "email",
    "external",
    "fax",
    "first",
    "full",
    "given",
    "group",
    "home",
    "id",
    "identifier",
    "invoice",
    "item",
    "iso",
    "job",
    "last",
    "limit",
    "line",
    "mail",
    "middle",
    "mobile",
    "modified",
    "name",
    "number",
    "on",
    "or",
    "order",
    "parent",
    "payment",
    "phone",
    "post",
    "postal",
    "price",
    "primary",
    "product",
    "province",
    "quantity",
    "reference",
    "region",
    "sales",
    "ship",
    "shipping",
    "state",
    "status",
    "street",
    "surname",
    "tax",
    "telephone",
    "terms",
    "title",
    "total",
    "type",
    "unit",
    "url",
    "vat",
    "vendor",
    "web",
    "website",
    "zip",
    "created",
    "currency",
    "customertype",
    "family",
    "hold",
    "net",
    "gross",
    "text",
    "first",
    "name",
    "cell",
    "org",
    "organisation",
    "organization",
    "supplier",
    "site",
    "street",
    "house",
    "district",
    "iban",
    "swift",
    "sku",
    "stock",
    "warehouse",
    "qty",
    "document",
    "no",
    "nr",
    "num",
    "doc",
    "label",
    "transaction",
    "exchange",
    "rate",
    "hand",
    "at",
    "location",
    "fulfilled",
    "shipped",
    "ship",
    "submit",
    "part",
    "uom",
    "measure",
    "purchase",
    "schedule",
]

#: Word -> concept: synonyms common in ERP/CRM field naming.
SYNONYMS: dict[str, str] = {
    "telephone": "phone",
    "tel": "phone",
    "mobile": "phone",
    "cell": "phone",
    "phonenumber": "phone",
    "zip": "postal",
    "postcode": "postal",
    "plz": "postal",
    "post": "postal",
    "company": "company",
    "account": "company",
    "organisation": "company",
    "organization": "company",
    "org": "company",
    "supplier": "company",
    "vendor": "company",
    "customer": "company",
    "business": "company",
    "mail": "email",
    "emailaddress": "email",
    "e": "email",
    "province": "state",
    "region": "state",
    "county": "state",
    "stateorprovince": "state",
    "town": "city",
    "locality": "city",
    "street": "line",
    "address": "address",
    "addr": "address",
    "surname": "last",
    "family": "last",
    "given": "first",
    "forename": "first",
    "nr": "number",
    "no": "number",
    "num": "number",
    "qty": "quantity",
    "id": "id",
    "identifier": "id",
    "guid": "id",
    "key": "id",
    "amount": "amount",
    "total": "amount",
    "sum": "amount",
    "web": "website",
    "url": "website",
    "homepage": "website",
    "vat": "tax",
    "terms": "terms",
    "payment": "payment",
    "cur": "currency",
    "ccy": "currency",
    "curr": "currency",
    "land": "country",
    "at": "date",
    "on": "date",
    "dt": "date",
    "datum": "date",
    "fulfilled": "shipped",
    "ship": "shipped",
    "location": "warehouse",
    "site": "warehouse",
    "uom": "unit",
    "measure": "unit",
    "ctry": "country",
    "nation": "country",
}

#: Two words that together mean one thing, whatever each means alone.
PHRASES: dict[tuple[str, str], str] = {
    ("product", "number"): "sku",
    ("item", "number"): "sku",
    ("part", "number"): "sku",
    ("on", "hand"): "onhand",
    ("postal", "code"): "postal",
    ("zip", "code"): "postal",
    ("e", "mail"): "email",
    ("first", "name"): "first",
    ("last", "name"): "last",
}

#: Words that carry little on their own (every address field has "address"; many codes have "code").
WEAK = frozenset({"address", "code", "number", "type", "value", "the", "of", "or", "1", "2", "3", "text"})


def split_name(name: str) -> list[str]:
    """The words of a field name, lower case: `address1_stateorprovince` -> address 1 state or province."""
    words: list[str] = []
    # `x@odata.bind` names the field x; the annotation says how it is written, not what it holds.
    for part in re.split(r"[^A-Za-z0-9]+", name.split("@", 1)[0]):
        for piece in re.findall(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+", part):
            words.extend(_unglue(piece.lower()))
    while len(words) > 1 and words[0] in _NOISE_PREFIXES:
        words = words[1:]
    return words


def concepts(name: str) -> list[str]:
    """The concepts a field name speaks of, in order: `telephone1` -> phone, 1."""
    words = split_name(name)
    out: list[str] = []
    index = 0
    while index < len(words):
        pair = (words[index], words[index + 1]) if index + 1 < len(words) else None
        if pair in PHRASES:
            out.append(PHRASES[pair])
            index += 2
            continue
        out.append(SYNONYMS.get(words[index], words[index]))
        index += 1
    return out


@lru_cache(maxsize=4096)
def _unglue(word: str) -> tuple[str, ...]:
    """Split glued lower case into known words when all of it is covered; else keep it whole."""
    if word.isdigit() or len(word) <= 3:
        return (word,)
    best = _cover(word)
    return best if best is not None else (word,)


@lru_cache(maxsize=8192)
def _cover(word: str) -> tuple[str, ...] | None:
    if not word:
        return ()
    for size in range(len(word), 1, -1):
        head = word[:size]
        if head in _VOCABULARY:
            rest = _cover(word[size:])
            if rest is not None:
                return (head, *rest)
    return None


_VOCABULARY = frozenset(_WORDS) | frozenset(SYNONYMS) - {"e"}
