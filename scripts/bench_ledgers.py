"""Measure the read side on ledgers built beforehand: status latency, the web under load, and
the analyst commands, side by side in one run.

Building a 1M-statement ledger takes most of an hour per backend, so ``bench-full`` should
not build it on every run. Build once (kept, reusable)::

    python scripts/bench.py worker ingest sqlite:///.bench/keep_sqlite_1000000.db \\
        .bench/workload-1000m-1000000s-42/record 1000

(the workload written by ``scripts/generate.py`` / ``scripts/bench.py --workdir .bench``; for
PostgreSQL ``CREATE DATABASE`` first and pass its URL), then::

    python scripts/bench_ledgers.py --ledger sqlite-1M=sqlite:///.bench/keep_sqlite_1000000.db \\
        --ledger pg-1M=postgresql://postgres@127.0.0.1:5432/keep_pg_1000000 \\
        --status --web-seconds 30 --analyst 1000 --markdown .bench/ledgers.md

Each measurement runs in a child process (``scripts/bench.py worker ...``), one ledger after
the other, in the order given, so that ratios between rows come from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts.bench import run_worker  # noqa: E402


def statements_in(url: str) -> int:
    from ledger.application import Ledger

    with Ledger(url) as ledger:
        return ledger.view.query_one("SELECT COUNT(DISTINCT statement_id) AS n FROM {ledger_statements}")["n"]


def measure(label: str, url: str, options: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"label": label, "backend": url.split(":", 1)[0], "statements": statements_in(url)}
    if options.status:
        print(f"[{label}] status, {options.pairs} pairs ...", file=sys.stderr, flush=True)
        out["status"] = run_worker("status", url, options.pairs, options.seed)
    if options.web_seconds:
        from scripts.bench_web import measure as web

        print(f"[{label}] web, {options.web_clients} clients, {options.web_seconds:.0f} s ...", file=sys.stderr,
              flush=True)
        out["web"] = web(url, options.web_clients, min(options.web_seconds, 600), options.web_workers)
    if options.analyst:
        print(f"[{label}] check (all matters), report and plot ...", file=sys.stderr, flush=True)
        out["analyst"] = run_worker("analyst", url, options.analyst, f"/tmp/bench-plot-{os.getpid()}.png")
    return out


def markdown(results: dict[str, Any]) -> str:
    lines = [f"Command: `{results['command']}`  ", f"Machine: {results['machine']}; {results['when']}", ""]
    rows = [r for r in results["ledgers"] if "status" in r]
    if rows:
        lines += ["| ledger | statements | status p50 | p99 | max | figures found |", "|---|---|---|---|---|---|"]
        lines += [f"| {r['label']} | {r['statements']:,} | {r['status']['p50_ms']:.2f} ms | "
                  f"{r['status']['p99_ms']:.2f} ms | {r['status']['max_ms']:.2f} ms | "
                  f"{r['status']['figures_found']:,} |" for r in rows]
        lines.append("")
    rows = [r for r in results["ledgers"] if "web" in r]
    if rows:
        lines += ["| ledger | workers | clients | requests | throughput | p50 | p99 | max | errors | load before/after |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        lines += [f"| {r['label']} | {w['workers']} | {w['clients']} | {w['requests']:,} | "
                  f"{w['throughput_per_s']}/s | {w['p50_ms']} ms | {w['p99_ms']} ms | {w['max_ms']} ms | "
                  f"{w['errors']} | {w['load_average'][0]} / {w['load_average'][1]} |"
                  for r in rows for w in [r["web"]]]
        lines.append("")
    rows = [r for r in results["ledgers"] if "analyst" in r]
    if rows:
        lines += ["| ledger | check, all matters (wall; CPU of all processes) | matter (statements) | report | plot |",
                  "|---|---|---|---|---|"]
        for r in rows:
            a = r["analyst"]
            lines.append(
                f"| {r['label']} | {a['check_all_s']:.1f} s ({a['check_all_cpu_s'] + a['check_workers_cpu_s']:.1f} s, "
                f"{a['check_jobs']} jobs; {a['check_findings']:,} findings) | {a['matter']} "
                f"({a['matter_statements']:,}) | {a['report_s']:.1f} s (CPU {a['report_cpu_s']:.1f} s, "
                f"{a['report_mb']:.1f} MB) | {a['plot_s']:.1f} s (CPU {a['plot_cpu_s']:.1f} s) |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ledger", action="append", required=True, metavar="LABEL=URL",
                        help="a ledger recorded beforehand (repeat; measured in this order)")
    parser.add_argument("--status", action="store_true", help="status latency, --pairs random (matter, day)")
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--web-seconds", type=float, default=0, help="web load for this long (0: none)")
    parser.add_argument("--web-clients", type=int, default=50)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--analyst", type=int, default=0, metavar="N",
                        help="check of every matter, report and plot of the matter nearest N statements")
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--markdown")
    options = parser.parse_args(argv)
    results: dict[str, Any] = {
        "command": "python scripts/bench_ledgers.py " + " ".join(argv),
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "ledgers": [],
    }
    for given in options.ledger:
        label, _, url = given.partition("=")
        if not url:
            parser.error(f"--ledger {given!r}: give LABEL=URL")
        results["ledgers"].append(measure(label, url, options))
        if options.json_out:
            Path(options.json_out).write_text(json.dumps(results, indent=2))
    text = markdown(results)
    if options.markdown:
        Path(options.markdown).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
