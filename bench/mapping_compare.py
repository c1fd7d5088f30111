"""Records a second of ferry's compiled mappings beside the same mappings by hand in Python and in JSONata.

    .venv/bin/python -m bench.mapping_compare [--records 100000] [--jsonata-records 2000] [--json FILE]

Two mappings: the dynamics365-tims template `account-to-customer.yaml` (Dynamics 365 accounts shaped like
the sandbox's, each distinct; half with the address1 parts, half with only the composite address) and
`docs/examples/sales-order.yaml` (web-shop orders of 20 lines, each distinct). Three ways to run each:
ferry's compiled `Mapping.apply`, plain Python written by hand (`bench/handwritten/`), and JSONata through
the pure-Python `jsonata-python` package (`bench/jsonata/`). All three are first checked to give the same
output on a sample. JSONata has no Decimal: it gets the records as JSON (floats, converted before the
clock starts), rounds half to even, and leaves a null field out; so its output is compared with ferry's
as JSON (Decimals as floats, dates as text, null fields dropped). It is run on fewer records
(`--jsonata-records`), because it is two orders of magnitude slower; records a second is a rate, so the
ratios stand. Needs the `bench` extra (`pip install -e '.[bench]'`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonata

from bench.handwritten.customer import customer
from bench.handwritten.sales_order import sales_order
from bench.mapping_speed import ERP_EXAMPLE, TEMPLATE, accounts, order
from ferry.mapping import load

JSONATA = Path(__file__).parent / "jsonata"
SAMPLE = 200


def as_json(value: Any) -> Any:
    """`value` as JSONata sees and gives it: Decimals as floats, dates as ISO text, null fields left out."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent == 0 else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def json_input(record: dict[str, Any]) -> Any:
    loaded = json.loads(json.dumps(record, default=float))
    return loaded


def per_second(run: Callable[[], None], count: int, repeat: int) -> float:
    """Best records a second over `repeat` runs."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return count / best


def customers_case(count: int) -> tuple[list[dict[str, Any]], list[str]]:
    half = count // 2
    records = accounts(count - half, composite_only=False) + accounts(half, composite_only=True)
    for n, record in enumerate(records):
        record["accountid"] = f"00e6c7ec-7480-5340-a246-{n:012d}"
    return records, [r["accountid"] for r in records]


def check_same(
    records: list[dict[str, Any]],
    ferry_out: Callable[[dict[str, Any]], Any],
    hand: Callable[[dict[str, Any]], Any],
    expr: Any,
    bindings: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Raise unless hand-written Python gives ferry's output exactly and JSONata to the cent; the number
    of sample records whose JSONata output is a cent off."""
    off_by_a_cent = 0
    for record in records[:SAMPLE]:
        expected = ferry_out(record)
        if hand(record) != expected:
            raise SystemExit(f"hand-written Python differs from ferry on {record!r}:\n{hand(record)!r}\n{expected!r}")
        got = expr.evaluate(json_input(record), bindings(record))
        if not within_a_cent(got, as_json(expected)):
            raise SystemExit(f"JSONata differs from ferry on {record!r}:\n{got!r}\n{as_json(expected)!r}")
        off_by_a_cent += got != as_json(expected)
    return off_by_a_cent


def within_a_cent(got: Any, expected: Any) -> bool:
    """Equal, but for amounts a cent apart: JSONata rounds binary floats half to even (18.975 USD of
    freight becomes 18.97, not 18.98), which no JSONata expression can undo."""
    if isinstance(expected, dict):
        return (
            isinstance(got, dict)
            and got.keys() == expected.keys()
            and all(within_a_cent(got[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return isinstance(got, list) and len(got) == len(expected) and all(map(within_a_cent, got, expected))
    if isinstance(expected, float) and isinstance(got, int | float) and not isinstance(got, bool):
        return abs(got - expected) <= 0.0100001
    return bool(got == expected)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--jsonata-records", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []

    mapping = load(TEMPLATE)
    records, ids = customers_case(args.records)
    contexts = [{"source_id": i} for i in ids]
    by_id = dict(zip(ids, contexts, strict=True))
    expr = jsonata.Jsonata((JSONATA / "customer.jsonata").read_text())
    check_same(
        records,
        lambda r: mapping.apply(r, context=by_id[r["accountid"]], creating=True),
        lambda r: customer(r, r["accountid"], creating=True),
        expr,
        lambda r: {"creating": True, "source_id": r["accountid"]},
    )
    check_same(
        records[len(records) // 2 :],
        lambda r: mapping.apply(r, context=by_id[r["accountid"]], creating=True),
        lambda r: customer(r, r["accountid"], creating=True),
        expr,
        lambda r: {"creating": True, "source_id": r["accountid"]},
    )
    pairs = list(zip(records, contexts, strict=True))

    def ferry_customers() -> None:
        apply = mapping.apply
        for record, context in pairs:
            apply(record, context=context, creating=True)

    def hand_customers() -> None:
        for record, context in pairs:
            customer(record, context["source_id"], creating=True)

    few = args.jsonata_records
    jpairs = [
        (json_input(r), {"creating": True, "source_id": c["source_id"]})
        for r, c in pairs[: few // 2] + pairs[-(few - few // 2) :]
    ]

    def jsonata_customers() -> None:
        evaluate = expr.evaluate
        for record, bindings in jpairs:
            evaluate(record, bindings)

    rows += measure_three(
        "account-to-customer", ferry_customers, hand_customers, jsonata_customers, len(pairs), len(jpairs), args.repeat
    )

    erp = load(ERP_EXAMPLE)
    orders = [order(n) for n in range(args.records)]
    sexpr = jsonata.Jsonata((JSONATA / "sales_order.jsonata").read_text())
    cents = check_same(orders, erp.apply, sales_order, sexpr, lambda r: {})
    print(f"sales-order: JSONata's output a cent off ferry's on {cents} of {min(SAMPLE, len(orders))} sample orders")

    def ferry_orders() -> None:
        apply = erp.apply
        for record in orders:
            apply(record)

    def hand_orders() -> None:
        for record in orders:
            sales_order(record)

    jorders = [json_input(o) for o in orders[:few]]

    def jsonata_orders() -> None:
        evaluate = sexpr.evaluate
        for record in jorders:
            evaluate(record)

    rows += measure_three(
        "sales-order (20 lines)", ferry_orders, hand_orders, jsonata_orders, len(orders), len(jorders), args.repeat
    )

    print(f"{'mapping':<24} {'way':<22} {'records':>8} {'records/s':>11} {'µs/record':>10} {'vs hand':>8}")
    for row in rows:
        print(
            f"{row['mapping']:<24} {row['way']:<22} {row['records']:>8} {row['records_per_second']:>11,.0f}"
            f" {row['us_per_record']:>10.1f} {row['ratio_to_handwritten']:>7.3g}x"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


def measure_three(
    name: str,
    ferry_run: Callable[[], None],
    hand_run: Callable[[], None],
    jsonata_run: Callable[[], None],
    count: int,
    jcount: int,
    repeat: int,
) -> list[dict[str, Any]]:
    rates = {
        "ferry (compiled)": (per_second(ferry_run, count, repeat), count),
        "hand-written Python": (per_second(hand_run, count, repeat), count),
        "JSONata (jsonata-python)": (per_second(jsonata_run, jcount, 1), jcount),
    }
    hand = rates["hand-written Python"][0]
    return [
        {
            "mapping": name,
            "way": way,
            "records": n,
            "records_per_second": rate,
            "us_per_record": 1e6 / rate,
            "ratio_to_handwritten": rate / hand,
        }
        for way, (rate, n) in rates.items()
    ]


if __name__ == "__main__":
    main()
