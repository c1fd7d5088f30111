"""Record search's cost on the hot path, and its answer times: settling N records with and without it.

    .venv/bin/python -m bench.record_index [--records 20000] [--rounds 3] [--searches 200]

What the engine's store does per record, without the systems around it: N events enqueued, claimed 64
at a time, and each claim finished (events done, link, audit entry) with 64 finishes in flight, so
the writer thread group-commits them, as under load. The *indexed* runs also build both records'
search entries (the Dataverse account and the TIMS customer, as the processor does) and save them in
the same finishes. Runs alternate so machine noise falls on both. Then: search answer times over
the N x 2 entries for an email, a name, a number, a two-character question and one that matches
nothing. Figures depend on the machine (a shared 2-core one here).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from ferry.engine.searchterms import IndexEntry, index_entry
from ferry.engine.store import AuditEntry, Link, NewEvent, SqliteStore

BATCH = 64
ACCOUNT_SEARCH = ("name", "accountnumber", "emailaddress1", "primarycontactid.fullname")


def account(n: int) -> dict[str, Any]:
    """A Dataverse account about as wide as the template reads one."""
    return {
        "accountid": f"00000000-0000-4000-8000-{n:012d}",
        "name": f"Ceiling Welding {n}",
        "accountnumber": f"A-{100000 + n}",
        "emailaddress1": f"buyer{n}@ceiling-welding.example",
        "telephone1": "+1 512 555 0100",
        "address1_line1": f"{n} Foundry Road",
        "address1_city": "Austin",
        "address1_stateorprovince": "TX",
        "address1_postalcode": "78701",
        "address1_country": "United States",
        "creditlimit": "25000.0000",
        "paymenttermscode": 1,
        "customertypecode": 3,
        "statecode": 0,
        "versionnumber": 1000 + n,
        "modifiedon": "2026-12-01T10:00:00Z",
        "primarycontactid": {
            "firstname": "Dana",
            "lastname": f"Ceiling{n}",
            "fullname": f"Dana Ceiling{n}",
            "emailaddress1": f"dana{n}@ceiling-welding.example",
            "telephone1": "+1 512 555 0101",
        },
        "transactioncurrencyid": {"isocurrencycode": "USD"},
    }


def customer(n: int) -> dict[str, Any]:
    """The TIMS customer ferry made of it, as TIMS answers the create."""
    return {
        "CustomerID": 10001 + n,
        "ExternalID": account(n)["accountid"],
        "CompanyName": f"Ceiling Welding {n}",
        "FirstName": "Dana",
        "LastName": f"Ceiling{n}",
        "Email": f"dana{n}@ceiling-welding.example",
        "Phone": "+1 512 555 0101",
        "BillingAddress": {"Line1": f"{n} Foundry Road", "City": "Austin", "Country": "US"},
        "PaymentTerms": "NET30",
        "CreditLimit": "25000.00",
        "Currency": "USD",
        "Version": 1,
    }


def entries(n: int, data: dict[str, Any], made: dict[str, Any]) -> list[IndexEntry]:
    left, right = str(data["accountid"]), str(made["CustomerID"])
    return [
        index_entry(
            "customers",
            "left",
            left,
            connection="d365",
            entity="accounts",
            data=data,
            twin_id=right,
            fields=ACCOUNT_SEARCH,
        ),
        index_entry("customers", "right", right, connection="tims", entity="customers", data=made, twin_id=left),
    ]


async def settle(store: SqliteStore, n: int, *, indexed: bool) -> tuple[float, float]:
    """Records/s, and CPU µs per record (every thread of this process), of N records enqueued, claimed and
    finished (with search entries when `indexed`). CPU time is what other load on the machine leaves alone."""
    records = [(account(i), customer(i)) for i in range(n)]
    by_id = {str(a["accountid"]): (i, a, c) for i, (a, c) in enumerate(records)}
    await store.enqueue([NewEvent("customers", "left", str(a["accountid"]), version="1") for a, _ in records])
    start, cpu = time.perf_counter(), time.process_time()
    done = 0
    while done < n:
        claims = await store.claim(worker="bench", limit=BATCH, lease_seconds=60)

        async def finish(claim: Any) -> None:
            i, data, made = by_id[claim.record_id]
            twin = str(made["CustomerID"])
            audit = AuditEntry("customers", "left", claim.record_id, "created", {"changes": made}, twin)
            index = entries(i, data, made) if indexed else ()
            await store.finish(claim, link=Link("customers", claim.record_id, twin), audit=[audit], index=index)

        await asyncio.gather(*(finish(c) for c in claims))
        done += len(claims)
    return n / (time.perf_counter() - start), (time.process_time() - cpu) / n * 1e6


async def searches(store: SqliteStore, n: int, count: int) -> dict[str, tuple[float, float, int]]:
    """p50 and p99 answer times (ms) and matches of each kind of question."""
    questions = {
        "email": lambda i: f"buyer{i}@ceiling",
        "name": lambda i: f"welding {i}",
        "number": lambda i: f"A-{100000 + i}",
        "two characters": lambda i: f"{i % 90 + 10}",
        "nothing": lambda i: f"zz-none-{i}",
    }
    out = {}
    for kind, question in questions.items():
        times, found = [], 0
        for k in range(count):
            start = time.perf_counter()
            found += len(await store.records.search(question((k * 7919) % n), limit=20))
            times.append((time.perf_counter() - start) * 1000)
        times.sort()
        out[kind] = (statistics.median(times), times[int(len(times) * 0.99) - 1], found // count)
    return out


async def main(n: int, rounds: int, count: int) -> None:
    rates: dict[bool, list[float]] = {False: [], True: []}
    cpus: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(rounds):
            for indexed in (False, True):
                store = SqliteStore(Path(tmp) / f"{r}-{indexed}.db")
                await store.open()
                try:
                    rate, cpu = await settle(store, n, indexed=indexed)
                    rates[indexed].append(rate)
                    cpus[indexed].append(cpu)
                    if indexed and r == rounds - 1:
                        answers = await searches(store, n, count)
                finally:
                    await store.close()
    print(f"\nSettling {n:,} records, {BATCH} at a time (median of {rounds} runs each)\n")
    print("| store | records/s | CPU µs per record | runs (records/s) |")
    print("|---|---:|---:|---|")
    for indexed, name in ((False, "without search entries"), (True, "with search entries (both sides)")):
        runs = ", ".join(f"{x:,.0f}" for x in rates[indexed])
        rate, cpu = statistics.median(rates[indexed]), statistics.median(cpus[indexed])
        print(f"| {name} | {rate:,.0f} | {cpu:,.0f} | {runs} |")
    extra = statistics.median(cpus[True]) - statistics.median(cpus[False])
    print(f"\nSearch entries cost {extra:,.0f} µs of CPU per record settled.\n")
    print(f"Search over {2 * n:,} entries ({count} questions of each kind, limit 20)\n")
    print("| question | p50 ms | p99 ms | matches |")
    print("|---|---:|---:|---:|")
    for kind, (p50, p99, found) in answers.items():
        print(f"| {kind} | {p50:.2f} | {p99:.2f} | {found} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--searches", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(main(args.records, args.rounds, args.searches))
