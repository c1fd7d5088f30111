"""How often the mapping suggester proposes the right source field, on real field lists.

    .venv/bin/python -m bench.suggest_quality [--json FILE]

The labelled pairs: every target field of the template mappings whose expression reads one source field
(candidates: the Dynamics 365 sandbox's table columns or a TIMS seeded record, plus what the mappings
read), and a held-out set of SAP S/4HANA, Kashflow and Dynamics AX field lists mapped by hand
(`src/ferry/mapping/suggest_holdout.yaml`), reported on its own. Hit@1: the right field is the first
suggestion; hit@3: it is among the first three.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from ferry.mapping.suggest_eval import Result, evaluate, holdout_cases, template_cases


def rows(results: list[Result]) -> list[dict[str, Any]]:
    by_mapping: dict[str, list[Result]] = defaultdict(list)
    for result in results:
        by_mapping[result.case.mapping].append(result)
    return [_row(name, group) for name, group in sorted(by_mapping.items())]


def _row(name: str, group: list[Result]) -> dict[str, Any]:
    hit1, hit3 = sum(r.hit1 for r in group), sum(r.hit3 for r in group)
    return {
        "mapping": name,
        "pairs": len(group),
        "hit1": hit1,
        "hit3": hit3,
        "hit1_rate": round(hit1 / len(group), 3),
        "hit3_rate": round(hit3 / len(group), 3),
    }


def report() -> dict[str, Any]:
    templates, holdout = evaluate(template_cases()), evaluate(holdout_cases())
    return {
        "templates": {"mappings": rows(templates), "overall": _row("all templates", templates)},
        "holdout": {"mappings": rows(holdout), "overall": _row("all held out", holdout)},
        "misses": [
            {
                "mapping": r.case.mapping,
                "target": r.case.target.name,
                "expected": r.case.expected,
                "got": list(r.ranked),
            }
            for r in templates + holdout
            if not r.hit3
        ],
    }


def _print(title: str, part: dict[str, Any]) -> None:
    print(f"\n{title}")
    print(f"{'mapping':40} {'pairs':>5} {'hit@1':>7} {'hit@3':>7}")
    for row in [*part["mappings"], part["overall"]]:
        print(f"{row['mapping']:40} {row['pairs']:>5} {row['hit1_rate']:>7.0%} {row['hit3_rate']:>7.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = report()
    _print("Template mappings (Dynamics 365 <-> TIMS, storefront)", figures["templates"])
    _print("Held out (SAP S/4HANA, Kashflow, Dynamics AX -> TIMS customer)", figures["holdout"])
    print(f"\n{len(figures['misses'])} pairs missed at rank 3")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
