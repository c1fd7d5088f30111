"""How long does `Mapping.apply()` take? Microseconds per record for the account-to-customer template.

    .venv/bin/python -m bench.mapping_speed [--records 20000] [--repeat 5]

Applies the dynamics365-tims template `account-to-customer.yaml` to Dynamics 365 accounts shaped like
the sandbox's (all 60-odd columns, an expanded primary contact), each with its own name, id and
address, and reports the best of `--repeat` runs. Three cases: a create, an update (create-only fields
skipped), and accounts whose address1 parts are missing so the composite is parsed (every composite
distinct, so the parser's cache does not help). Then `docs/examples/sales-order.yaml` on orders of 20
lines: currency conversion, aggregates, lines grouped, split and filtered, freight allocated per line.
"""

from __future__ import annotations

import argparse
import copy
import gc
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ferry.mapping import Mapping, load

TEMPLATE = Path(__file__).parents[1] / "src/ferry/project/templates/dynamics365-tims/mappings/account-to-customer.yaml"
ERP_EXAMPLE = Path(__file__).parents[1] / "docs/examples/sales-order.yaml"

# One account as `GET accounts?$expand=primarycontactid(...)` returns it from `ferry sandbox dynamics365`.
ACCOUNT: dict[str, Any] = {
    "@odata.etag": 'W/"1200310"',
    "accountid": "00e6c7ec-7480-5340-a246-199fb8637bbe",
    "createdon": "2026-04-12T08:46:25Z",
    "modifiedon": "2026-04-15T08:13:54Z",
    "versionnumber": 1200310,
    "statecode": 0,
    "statuscode": 1,
    "_ownerid_value": "13200b39-2ffa-5c8a-8f3b-3ff0b26becad",
    "_transactioncurrencyid_value": "00000000-0000-0000-0000-000000000000",
    "exchangerate": Decimal("1.0"),
    "name": "Vasquez Marine Repair Co.",
    "accountnumber": "A-1064",
    "telephone1": "+1-441-680-2099x01673",
    "telephone2": None,
    "fax": None,
    "emailaddress1": "orders@vasquezmarine.com",
    "websiteurl": "https://www.vasquezmarine.com",
    "address1_line1": "1366 Benjamin Islands Suite 103",
    "address1_line2": None,
    "address1_line3": None,
    "address1_city": "North Robert",
    "address1_stateorprovince": "OR",
    "address1_postalcode": "34226",
    "address1_country": "United States",
    "address1_composite": "1366 Benjamin Islands Suite 103\r\nNorth Robert, OR 34226\r\nUnited States",
    "address2_line1": None,
    "address2_composite": None,
    "creditlimit": Decimal("100000.0000"),
    "creditonhold": False,
    "revenue": Decimal("41059000.0000"),
    "customertypecode": 3,
    "paymenttermscode": 1,
    "_primarycontactid_value": "f3f40000-e3ab-571b-9def-7f76d2c9029f",
    "primarycontactid": {
        "@odata.etag": 'W/"1200309"',
        "firstname": "Janice",
        "lastname": "Clarke",
        "emailaddress1": "janice.clarke@vasquezmarine.com",
        "telephone1": "2187076724",
        "contactid": "f3f40000-e3ab-571b-9def-7f76d2c9029f",
    },
}


def accounts(count: int, *, composite_only: bool) -> list[dict[str, Any]]:
    out = []
    for n in range(count):
        record = copy.deepcopy(ACCOUNT)
        record["accountid"] = f"00e6c7ec-7480-5340-a246-{n:012d}"
        record["name"] = f"  Vasquez Marine Repair {n} "
        record["address1_line1"] = f"{n} Benjamin Islands Suite 103"
        record["address1_composite"] = f"{n} Benjamin Islands Suite 103\r\nNorth Robert, OR 34226\r\nUnited States"
        if composite_only:
            for part in ("line1", "line2", "line3", "city", "stateorprovince", "postalcode", "country"):
                record[f"address1_{part}"] = None
        out.append(record)
    return out


def measure(run: Callable[[], None], count: int, repeat: int) -> float:
    """Best microseconds per record over `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    mapping: Mapping = load(TEMPLATE)
    contexts = [{"source_id": f"id-{n}"} for n in range(args.records)]

    cases = {
        "create (address1 parts)": (False, True),
        "update (address1 parts)": (False, False),
        "create (address from the composite)": (True, True),
    }
    print(f"account-to-customer.yaml, {args.records} records, best of {args.repeat}")
    for label, (composite_only, creating) in cases.items():
        pairs = list(zip(accounts(args.records, composite_only=composite_only), contexts, strict=True))
        gc.collect()

        def run(pairs: list[tuple[dict[str, Any], dict[str, Any]]] = pairs, creating: bool = creating) -> None:
            apply = mapping.apply
            for record, context in pairs:
                apply(record, context=context, creating=creating)

        print(f"  {label:<38} {measure(run, len(pairs), args.repeat):6.1f} µs/record")

    orders_count = max(1, args.records // 10)
    erp: Mapping = load(ERP_EXAMPLE)
    orders = [order(n) for n in range(orders_count)]
    gc.collect()

    def run_orders() -> None:
        apply = erp.apply
        for record in orders:
            apply(record)

    print(f"sales-order.yaml, {orders_count} orders of 20 lines, best of {args.repeat}")
    print(f"  {'order with lines':<38} {measure(run_orders, orders_count, args.repeat):6.1f} µs/record")


def order(n: int) -> dict[str, Any]:
    """A web-shop order of 20 lines over 8 SKUs, one of them free and some above 100 a line."""
    lines = [
        {
            "sku": f"SKU-{i % 8}",
            "quantity": 10 + (n + i) % 70,
            "unit_price": Decimal(0 if i == 7 else 5 + i) + Decimal("0.99"),
        }
        for i in range(20)
    ]
    return {
        "number": f"SO-{n}",
        "currency": ("EUR", "GBP")[n % 2],
        "order_date": "2026-11-20",
        "freight": Decimal("15.00"),
        "customer": {"segment": ("RETAIL", "TRADE", "KEY")[n % 3]},
        "lines": lines,
    }


if __name__ == "__main__":
    main()
