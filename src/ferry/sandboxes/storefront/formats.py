"""How values look on the wire: money as 2-decimal strings, times in the shop's offset, addresses."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from ferry.sandboxes.storefront.shop import CURRENCY, TIMEZONE

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(value: Decimal) -> str:
    """`Decimal("5.5")` -> `"5.50"`, rounding half up as a till does."""
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_money(value: Any) -> Decimal | None:
    """A money amount sent by a client (string or number), or None if it is not one."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def money_set(value: Decimal) -> dict[str, dict[str, str]]:
    """Shopify's `*_set` pair: the same amount in shop and presentment currency (both USD here)."""
    amount = {"amount": money(value), "currency_code": CURRENCY}
    return {"shop_money": dict(amount), "presentment_money": dict(amount)}


def timestamp(moment: datetime) -> str:
    """ISO 8601 in the shop's time zone, seconds precision: `2025-03-01T10:30:00-05:00`."""
    return moment.astimezone(TIMEZONE).isoformat(timespec="seconds")


def parse_time(text: str) -> datetime | None:
    """A client-sent time: ISO 8601 with or without offset, or a bare date (shop-local midnight)."""
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(text), time())
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=TIMEZONE)


def tags_text(value: Any) -> str | None:
    """Tags as Shopify stores them (`"a, b"`), from a string or a list; None if neither."""
    if isinstance(value, str):
        parts = value.split(",")
    elif isinstance(value, list) and all(isinstance(t, str | int | float) and not isinstance(t, bool) for t in value):
        parts = [str(t) for t in value]
    elif value is None:
        parts = []
    else:
        return None
    return ", ".join(t.strip() for t in parts if t.strip())


def text_or_none(value: Any) -> str | None:
    """A client's scalar as text (JSON numbers included); None for null, objects and lists."""
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)


def gid(kind: str, ident: int) -> str:
    return f"gid://shopify/{kind}/{ident}"


def address(
    *,
    first_name: str | None,
    last_name: str | None,
    company: str | None,
    address1: str | None,
    address2: str | None,
    city: str | None,
    province_code: str | None,
    zip_code: str | None,
    country: str | None,
    country_code: str | None,
    phone: str | None,
) -> dict[str, Any]:
    """A mailing address in the shape orders and customers share."""
    name = " ".join(p for p in (first_name, last_name) if p) or None
    return {
        "first_name": first_name,
        "address1": address1,
        "phone": phone,
        "city": city,
        "zip": zip_code,
        "province": province_code,
        "country": country,
        "last_name": last_name,
        "address2": address2,
        "company": company,
        "latitude": None,
        "longitude": None,
        "name": name,
        "country_code": country_code,
        "province_code": province_code,
    }


ADDRESS_FIELDS = (
    "first_name",
    "last_name",
    "company",
    "address1",
    "address2",
    "city",
    "province",
    "province_code",
    "zip",
    "country",
    "country_code",
    "phone",
)


def address_from_input(raw: dict[str, Any]) -> dict[str, Any]:
    """An address sent by a client, keeping only the known fields as strings."""
    clean = {k: (str(raw[k]) if raw.get(k) is not None else None) for k in ADDRESS_FIELDS}
    return address(
        first_name=clean["first_name"],
        last_name=clean["last_name"],
        company=clean["company"],
        address1=clean["address1"],
        address2=clean["address2"],
        city=clean["city"],
        province_code=clean["province_code"] or clean["province"],
        zip_code=clean["zip"],
        country=clean["country"],
        country_code=(clean["country_code"] or "").upper() or None,
        phone=clean["phone"],
    )
