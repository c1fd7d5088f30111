"""A deterministic business world that every sandbox draws its seeded data from.

The same seed gives the same companies, people and products in every sandbox, so a demo can show
records that exist in both systems (and must be matched) beside records that exist in only one.
Customers are industrial-gas and welding-supply buyers (fabricators, machine shops, breweries,
hospitals) in several countries; a share of them have the gaps and oddities real data has.
"""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from faker import Faker

# (Faker locale, ISO country code, country name, currency, share of companies)
_MARKETS: tuple[tuple[str, str, str, str, int], ...] = (
    ("en_US", "US", "United States", "USD", 50),
    ("en_GB", "GB", "United Kingdom", "GBP", 15),
    ("en_CA", "CA", "Canada", "CAD", 10),
    ("de_DE", "DE", "Germany", "EUR", 10),
    ("en_AU", "AU", "Australia", "AUD", 10),
    ("fr_FR", "FR", "France", "EUR", 5),
)
_TRADES = (
    "Fabrication",
    "Welding",
    "Machine Works",
    "Steel",
    "Metalworks",
    "Construction",
    "Brewing Co.",
    "Mechanical",
    "Industrial Services",
    "Marine Repair",
    "Pipeline",
    "Ironworks",
    "Auto Body",
)
_LEGAL = {
    "US": ("Inc.", "LLC", "Co."),
    "CA": ("Inc.", "Ltd."),
    "GB": ("Ltd", "plc"),
    "AU": ("Pty Ltd",),
    "DE": ("GmbH", "KG"),
    "FR": ("SARL", "SA"),
}
_SUPPLIER_TRADES = ("Gas Supply", "Industrial Gases", "Wire & Rod", "Welding Supply", "Safety Products", "Equipment")
_GERMAN_TRADES = ("Schweißtechnik", "Metallbau", "Stahlbau", "Maschinenbau")
_FRENCH_TRADES = ("Soudure", "Métallerie", "Chaudronnerie")


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    line2: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str
    country_code: str

    def lines(self) -> list[str]:
        """The address as it would be printed on an envelope (used by composite fields)."""
        locality = " ".join(p for p in (self.city, self.state, self.postal_code) if p)
        return [p for p in (self.line1, self.line2, locality, self.country) if p]


@dataclass(frozen=True, slots=True)
class Person:
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    mobile: str | None
    job_title: str | None


@dataclass(frozen=True, slots=True)
class Company:
    index: int
    name: str
    account_number: str
    customer_code: str
    phone: str | None
    email: str | None
    website: str | None
    address: Address
    shipping_address: Address | None
    currency: str
    credit_limit: Decimal | None
    payment_terms: str
    annual_revenue: Decimal | None
    employees: int | None
    contacts: tuple[Person, ...] = field(default_factory=tuple)

    @property
    def primary_contact(self) -> Person | None:
        return self.contacts[0] if self.contacts else None


@dataclass(frozen=True, slots=True)
class Product:
    index: int
    sku: str
    name: str
    description: str
    category: str
    unit_of_measure: str
    unit_price: Decimal
    standard_cost: Decimal
    weight_kg: Decimal
    active: bool


class _Stream:
    """An independent random stream with its own Faker per locale.

    Customers, vendors and people each draw from their own stream, so asking for vendors first or
    customers first gives the same records: what a sandbox seeds never depends on call order.
    """

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.random = random.Random(seed)
        self._fakers: dict[str, Faker] = {}

    def faker(self, locale: str) -> Faker:
        fake = self._fakers.get(locale)
        if fake is None:
            fake = self._fakers[locale] = Faker(locale)
            fake.seed_instance(self.seed * 101 + len(self._fakers))
        return fake


class World:
    """Seeded companies, vendors and a product catalogue; indexes are stable across sizes."""

    def __init__(self, seed: int = 42) -> None:
        self.seed = seed
        self._customers = _Stream(seed * 10 + 1)
        self._suppliers = _Stream(seed * 10 + 2)
        self._people = _Stream(seed * 10 + 3)
        self._companies: list[Company] = []
        self._vendors: list[Company] = []

    @classmethod
    def for_seed(cls, seed: int) -> World:
        """A world shared by every sandbox of this process with the same seed (generated once)."""
        return _shared_world(seed)

    def companies(self, count: int) -> list[Company]:
        """The first `count` customer companies (the same prefix for any count)."""
        while len(self._companies) < count:
            self._companies.append(self._company(self._customers, len(self._companies), prefix="A", code="C"))
        return self._companies[:count]

    def vendors(self, count: int) -> list[Company]:
        """Suppliers of gases, wire and equipment."""
        while len(self._vendors) < count:
            self._vendors.append(self._company(self._suppliers, len(self._vendors), prefix="V", code="V", vendor=True))
        return self._vendors[:count]

    @cached_property
    def products(self) -> list[Product]:
        return _catalogue(random.Random(self.seed * 7919))

    def person(self, country_code: str, domain: str | None = None, index: int | None = None) -> Person:
        """A person of that country, for records made after seeding.

        With `index`, person number `index` (the same whatever was asked before); without it, the next
        person of this world's own sequence.
        """
        locale = next(m[0] for m in _MARKETS if m[1] == country_code)
        if index is None:
            return self._person(self._people, locale, domain)
        stream = _Stream(0)
        stream.random.seed(f"{self.seed}:{country_code}:{index}")
        stream.faker(locale).seed_instance(f"{self.seed}:{country_code}:{index}")
        return self._person(stream, locale, domain)

    # --- generation ----------------------------------------------------------------------------

    def _company(self, stream: _Stream, index: int, *, prefix: str, code: str, vendor: bool = False) -> Company:
        r = stream.random
        locale, cc, country, currency, _ = r.choices(_MARKETS, weights=[m[4] for m in _MARKETS])[0]
        fake = stream.faker(locale)
        name = self._company_name(stream, fake, cc, vendor)
        domain = _domain(name, cc)
        address = self._address(stream, fake, cc, country)
        shipping = self._address(stream, fake, cc, country) if r.random() < 0.2 else None
        contacts = tuple(self._person(stream, locale, domain) for _ in range(r.choice((1, 1, 1, 2, 2, 3))))
        if r.random() < 0.04:
            contacts = ()  # some accounts have no contact at all
        return Company(
            index=index,
            name=name,
            account_number=f"{prefix}-{1001 + index}",
            customer_code=f"{code}{10001 + index}",
            phone=None if r.random() < 0.07 else fake.phone_number(),
            email=None if r.random() < 0.1 else f"{r.choice(('info', 'accounts', 'orders', 'office'))}@{domain}",
            website=None if r.random() < 0.3 else f"https://www.{domain}",
            address=address,
            shipping_address=shipping,
            currency=currency,
            credit_limit=None if r.random() < 0.08 else Decimal(r.choice((5, 10, 15, 25, 50, 100, 250)) * 1000),
            payment_terms=r.choices(("NET30", "NET15", "NET60", "DUE_ON_RECEIPT"), weights=(70, 10, 10, 10))[0],
            annual_revenue=None if r.random() < 0.3 else Decimal(r.randrange(250, 90_000) * 1000),
            employees=None if r.random() < 0.25 else r.randrange(3, 2500),
            contacts=contacts,
        )

    def _company_name(self, stream: _Stream, fake: Faker, cc: str, vendor: bool) -> str:
        r = stream.random
        if vendor:
            base = f"{fake.last_name()} {r.choice(_SUPPLIER_TRADES)}"
        elif cc == "DE" and r.random() < 0.6:
            base = f"{fake.last_name()} {r.choice(_GERMAN_TRADES)}"
        elif cc == "FR" and r.random() < 0.6:
            base = f"{r.choice(_FRENCH_TRADES)} {fake.last_name()}"
        elif r.random() < 0.7:
            base = f"{fake.last_name()} {r.choice(_TRADES)}"
        else:
            base = fake.company()
        if r.random() < 0.6 and not base.endswith(tuple(_LEGAL[cc])):
            base = f"{base} {r.choice(_LEGAL[cc])}"
        if r.random() < 0.02:
            base = f"  {base} "  # stray whitespace, as typed by a hurried user
        return base

    def _address(self, stream: _Stream, fake: Faker, cc: str, country: str) -> Address:
        r = stream.random
        street = fake.street_address().replace("\n", ", ")
        line2 = None
        if r.random() < 0.15:
            line2 = r.choice(("Unit 4", "Suite 200", "Building B", "Dock 3", "Floor 2", "PO Box 118"))
        state: str | None = None
        if cc == "US" or cc == "AU":
            state = fake.state_abbr()
        elif cc == "CA":
            state = fake.province_abbr()
        elif cc == "GB" and r.random() < 0.5:
            state = fake.county() if hasattr(fake, "county") else None
        return Address(
            line1=street,
            line2=line2,
            city=None if r.random() < 0.02 else fake.city(),
            state=state,
            postal_code=None if r.random() < 0.04 else fake.postcode(),
            country=country,
            country_code=cc,
        )

    def _person(self, stream: _Stream, locale: str, domain: str | None) -> Person:
        r = stream.random
        fake = stream.faker(locale)
        first, last = fake.first_name(), fake.last_name()
        email = None
        if r.random() > 0.08:
            local = f"{_ascii(first)}.{_ascii(last)}".lower()
            email = f"{local}@{domain}" if domain else fake.free_email()
        return Person(
            first_name=first,
            last_name=last,
            email=email,
            phone=None if r.random() < 0.2 else fake.phone_number(),
            mobile=None if r.random() < 0.5 else fake.phone_number(),
            job_title=r.choice((None, "Purchasing Manager", "Owner", "Shop Foreman", "Accounts Payable", "Buyer")),
        )


@functools.lru_cache(maxsize=8)
def _shared_world(seed: int) -> World:
    return World(seed)


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "", folded) or "x"


def _domain(name: str, cc: str) -> str:
    words = [w for w in re.split(r"[\s,&.]+", _ascii_words(name)) if w]
    stem = "".join(words[:2]).lower() or "company"
    tld = {"US": "com", "CA": "ca", "GB": "co.uk", "AU": "com.au", "DE": "de", "FR": "fr"}[cc]
    return f"{stem}.{tld}"


def _ascii_words(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def _catalogue(r: random.Random) -> list[Product]:
    """Welding and industrial-gas supplies: cylinders, wire, electrodes, gear and machines."""
    items: list[tuple[str, str, str, str, str, float, float]] = []
    gases = (
        ("AR", "Argon"),
        ("OX", "Oxygen"),
        ("AC", "Acetylene"),
        ("CO2", "Carbon Dioxide"),
        ("NI", "Nitrogen"),
        ("HE", "Helium"),
        ("MIX", "Argon/CO2 75/25 Mix"),
        ("HEL", "Balloon Helium"),
    )
    for code, gas in gases:
        for size, base in (("40", 38.0), ("80", 52.0), ("125", 68.0), ("150", 74.0), ("300", 118.0)):
            grades: tuple[tuple[str, str, float], ...] = (("", "industrial grade", 1.0), ("-UHP", "UHP 5.0 grade", 2.3))
            if code == "OX":
                grades += (("-MED", "medical USP grade", 1.4),)
            for suffix, grade, mult in grades if code in ("AR", "OX", "NI", "HE") else grades[:1]:
                items.append(
                    (
                        f"{code}{suffix}-{size}",
                        f"{gas} cylinder {size} cu ft, {grade}",
                        f"{gas} refill, {grade}, size {size} cu ft cylinder",
                        "Gases",
                        "CYL",
                        base * mult * (1.6 if code == "HE" else 1.0),
                        6.0 + int(size) / 10,
                    )
                )
    wires = (
        ("ER70S6", "ER70S-6 mild steel MIG wire"),
        ("ER308L", "ER308L stainless MIG wire"),
        ("ER4043", "ER4043 aluminium MIG wire"),
        ("E71T1", "E71T-1 flux-cored wire"),
    )
    for code, wire in wires:
        for dia in ("023", "030", "035", "045"):
            for spool, lb, base in (("2", 2, 14.0), ("11", 11, 39.0), ("33", 33, 89.0)):
                mult = 2.8 if "308" in code else 1.7 if "4043" in code else 1.0
                items.append(
                    (
                        f"{code}-{dia}-{spool}",
                        f"{wire} 0.{dia} in, {lb} lb spool",
                        f"{wire}, diameter 0.{dia} in, {lb} lb spool",
                        "Filler Metals",
                        "SPL",
                        base * mult,
                        lb * 0.4536,
                    )
                )
    rods = (
        ("E6010", "E6010 stick electrodes"),
        ("E6013", "E6013 stick electrodes"),
        ("E7018", "E7018 low-hydrogen electrodes"),
    )
    for code, rod in rods:
        for dia in ("332", "18", "532"):
            for pack, lb, base in (("10", 10, 42.0), ("50", 50, 168.0)):
                size = {"332": "3/32", "18": "1/8", "532": "5/32"}[dia]
                items.append(
                    (
                        f"{code}-{dia}-{pack}",
                        f"{rod} {size} in, {lb} lb",
                        f"{rod}, {size} in, {lb} lb box",
                        "Filler Metals",
                        "BOX",
                        base,
                        lb * 0.4536,
                    )
                )
    tig = (
        ("TR70S2", "ER70S-2 TIG rod", 1.0),
        ("TR308L", "ER308L TIG rod", 2.6),
        ("TR4043", "ER4043 TIG rod", 1.5),
    )
    for code, rod, mult in tig:
        for dia, size in (("116", "1/16"), ("332", "3/32"), ("18", "1/8")):
            items.append(
                (
                    f"{code}-{dia}",
                    f"{rod} {size} in x 36 in, 10 lb",
                    f"{rod}, {size} in, 10 lb tube",
                    "Filler Metals",
                    "BOX",
                    48.0 * mult,
                    4.54,
                )
            )
    for code, kind in (("TW2L", "2% lanthanated"), ("TW2C", "2% ceriated"), ("TWP", "pure")):
        for dia, size in (("116", "1/16"), ("332", "3/32"), ("18", "1/8")):
            items.append(
                (
                    f"{code}-{dia}",
                    f"Tungsten electrodes {kind} {size} in (10)",
                    f"{kind} tungsten, {size} in x 7 in, pack of 10",
                    "Filler Metals",
                    "BOX",
                    39.0,
                    0.2,
                )
            )
    gear = (
        ("HLM-AD", "Auto-darkening welding helmet", 189.0, "EA", 0.6),
        ("GLV-MIG", "MIG welding gloves", 18.5, "PR", 0.3),
        ("GLV-TIG", "TIG welding gloves", 21.0, "PR", 0.2),
        ("JKT-FR", "Flame-resistant welding jacket", 79.0, "EA", 1.1),
        ("GOG-5", "Shade 5 gas welding goggles", 16.0, "EA", 0.2),
        ("RESP-P100", "P100 welding respirator", 64.0, "EA", 0.4),
        ("BLK-FR", "Fire blanket 6 x 8 ft", 119.0, "EA", 2.3),
    )
    for code, name, price, uom, kg in gear:
        sizes = ("S", "M", "L", "XL") if code.startswith(("GLV", "JKT")) else ("",)
        for s in sizes:
            items.append(
                (
                    f"{code}-{s}".rstrip("-"),
                    f"{name}{' size ' + s if s else ''}",
                    name,
                    "Safety",
                    uom,
                    price,
                    kg,
                )
            )
    machines = (
        ("MIG-140", "140 A MIG welder, 120 V", 749.0, 26.0),
        ("MIG-211", "211 A multi-voltage MIG welder", 1499.0, 31.0),
        ("MIG-350", "350 A industrial MIG welder", 4290.0, 83.0),
        ("TIG-200", "200 A AC/DC TIG welder", 2890.0, 22.0),
        ("PLS-45", "45 A plasma cutter", 1590.0, 12.0),
        ("PLS-65", "65 A plasma cutter", 2390.0, 14.0),
        ("ENG-225", "225 A engine-driven welder/generator", 5690.0, 227.0),
    )
    for code, name, price, kg in machines:
        items.append((code, name, name, "Equipment", "EA", price, kg))
    parts = (
        ("REG-OX", "Oxygen regulator, CGA 540", 119.0),
        ("REG-AC", "Acetylene regulator, CGA 510", 124.0),
        ("REG-AR", "Argon flowmeter regulator, CGA 580", 139.0),
        ("TRCH-CUT", "Oxy-fuel cutting torch kit", 349.0),
        ("HOSE-25", "Twin welding hose 1/4 in x 25 ft", 49.0),
        ("CART-2", "Two-cylinder welding cart", 229.0),
        ("TIP-035", "MIG contact tips 0.035 in (pack of 10)", 12.5),
        ("NOZ-MIG", "MIG nozzle 1/2 in", 9.75),
        ("GRND-45", "4.5 in angle grinder", 129.0),
        ("DISC-CUT", "Cut-off wheels 4.5 in (pack of 25)", 34.0),
    )
    for code, name, price in parts:
        items.append((code, name, name, "Hardgoods", "EA", price, 1.2))
    products: list[Product] = []
    for index, (sku, name, desc, category, uom, price, kg) in enumerate(items):
        unit_price = _money(price * r.uniform(0.92, 1.08))
        products.append(
            Product(
                index=index,
                sku=sku,
                name=name,
                description=desc,
                category=category,
                unit_of_measure=uom,
                unit_price=unit_price,
                standard_cost=_money(float(unit_price) * r.uniform(0.55, 0.75)),
                weight_kg=Decimal(str(round(kg, 2))),
                active=r.random() > 0.04,
            )
        )
    return products
