"""``ledger series`` over a year by day: one replay per change date (filled forward) against
one full status replay per step, side by side in one run, on the bundled example (SQLite,
and PostgreSQL when reachable). Prints a Markdown table of times and their ratio.

    .venv/bin/python scripts/bench_series.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ledger.application import Ledger  # noqa: E402
from ledger.readmodel import Snapshot, TimelineReadModel  # noqa: E402
from ledger.readmodel.changes import series  # noqa: E402
from ledger.inputs import iter_inputs  # noqa: E402

EXAMPLE = ROOT / "examples" / "indians-in-russian-army"


def measure(url: str, repeat: int) -> dict[str, float | int]:
    with Ledger(url) as ledger:
        ledger.record(iter_inputs([str(EXAMPLE)]), recorded_by="bench")
        ledger.catch_up()
        model = TimelineReadModel(ledger.view)
        out: dict[str, float | int] = {}
        for name, every_step in (("change dates", False), ("every step", True)):
            best = float("inf")
            for _ in range(repeat):
                start = time.perf_counter()
                report = series(model, None, dt.date(2025, 1, 1), dt.date(2025, 12, 31), "day", Snapshot(),
                                every_step=every_step)
                best = min(best, time.perf_counter() - start)
            out[name], out[f"{name} replays"] = best, report["replays"]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    urls = {}
    with tempfile.TemporaryDirectory() as folder:
        urls["sqlite"] = f"sqlite:///{folder}/bench.db"
        try:
            from tests.conftest import create_pg_database, drop_pg_database

            name = create_pg_database()
            urls["postgres"] = f"postgresql://postgres@127.0.0.1:5432/{name}"
        except Exception as e:  # noqa: BLE001 - the benchmark runs without PostgreSQL
            print(f"(PostgreSQL skipped: {e})", file=sys.stderr)
            name = None
        try:
            print("| backend | per change date | replays | every step | replays | ratio |")
            print("|---|---|---|---|---|---|")
            for backend, url in urls.items():
                r = measure(url, args.repeat)
                print(f"| {backend} | {r['change dates'] * 1000:.0f} ms | {r['change dates replays']} | "
                      f"{r['every step'] * 1000:.0f} ms | {r['every step replays']} | "
                      f"{r['every step'] / r['change dates']:.0f}x |")
        finally:
            if name:
                drop_pg_database(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
