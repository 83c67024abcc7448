"""Rebuild A/B (issue 15): ``ledger rebuild`` against a raw read + decode of the log, and the floor.

Run through ``scripts/bench.py --rebuild-ab N`` (see its ``--help``). Per backend, one ledger
of N generated statements is recorded once; then, round by round with the order rotating,
each in a child process of its own, on that same ledger:

* ``raw_read``: ``select_notifications`` in pages of 2,000 and the mapper's decoding of each
  event (``scripts/bench.py``'s ``worker_raw_read``): the denominator of the target;
* ``rebuild``: ``reset_projection`` + ``catch_up``, as ``ledger rebuild`` (this tree's code);
* ``rebuild_before`` (with ``--baseline-tree DIR``, a checkout of the code before, e.g.
  ``git archive main | tar -x -C DIR``): the same with that tree's ``ledger`` package;
* ``floor``: the very rows of the projection, built beforehand (untimed), written by the
  driver into a fresh database holding the same tables, primary keys and indexes (SQLite
  ``executemany`` in one transaction, PostgreSQL ``COPY``; secondary indexes after the load,
  as the rebuild does): what the database alone costs, with no reading or Python rows.

Each worker reports wall time and its own CPU time (``time.process_time()`` around the
measured part); on PostgreSQL also the CPU time of the server processes serving the database
(``ServerCPU``: the server runs on this machine). On a loaded machine, read the CPU.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()


class ServerCPU:
    """CPU time of the PostgreSQL server processes serving one database (their ``/proc`` counters:
    the server runs on this machine), from ``start()`` to ``stop()``; 0 for SQLite. A connection
    opened in between counts from its start; one closed in between is missed (none is, here)."""

    def __init__(self, url: str):
        self.url = url if url.startswith("postgres") else ""
        self.before: dict[int, float] = {}

    def _now(self) -> dict[int, float]:
        if not self.url:
            return {}
        import psycopg

        with psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True) as conn:
            pids = [r[0] for r in conn.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s",
                                               (self.url.rsplit("/", 1)[1],))]
        ticks = os.sysconf("SC_CLK_TCK")
        out = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            out[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
        return out

    def start(self) -> None:
        self.before = self._now()

    def stop(self) -> float:
        return sum(cpu - self.before.get(pid, 0.0) for pid, cpu in self._now().items())


def _use_tree(tree: str) -> None:
    """Import ``ledger`` from ``tree`` (a checkout of other code), ahead of the installed one."""
    sys.path.insert(0, str(Path(tree).resolve()))


def worker_rebuild(url: str, tree: str = "") -> dict[str, Any]:
    if tree:
        _use_tree(tree)
    from ledger.application import Ledger

    if tree:
        assert Path(sys.modules["ledger"].__file__ or "").resolve().is_relative_to(Path(tree).resolve())
    server = ServerCPU(url)
    with Ledger(url) as ledger:
        ledger.view.max_tracking_id(ledger.app.name)  # the connections open before the counters start
        server.start()
        started, cpu = time.perf_counter(), time.process_time()
        ledger.reset_projection()
        reset, reset_cpu = time.perf_counter(), time.process_time()
        events = ledger.catch_up()
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - cpu
        server_cpu = server.stop()
    return {"events": events, "s": elapsed, "cpu_s": elapsed_cpu, "server_cpu_s": server_cpu,
            "reset_s": reset - started, "reset_cpu_s": reset_cpu - cpu}


def worker_raw_read(url: str) -> dict[str, Any]:
    """As ``scripts/bench.py``'s ``worker_raw_read`` (pages of 2,000, the mapper), with CPU time."""
    from ledger.application import Ledger
    from scripts.bench import read_and_decode

    server = ServerCPU(url)
    with Ledger(url) as ledger:
        ledger.app.recorder.max_notification_id()
        server.start()
        started, cpu = time.perf_counter(), time.process_time()
        count = read_and_decode(ledger)
        elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - cpu
        server_cpu = server.stop()
    return {"events": count, "s": elapsed, "cpu_s": elapsed_cpu, "server_cpu_s": server_cpu}


def _plain_rows(url: str) -> tuple[list[tuple[str, list[str], list[tuple[Any, ...]]]], int]:
    """The projection rows of every event (this tree's rules), per plain INSERT: table, columns, rows."""
    from ledger.application import Ledger
    from ledger.projections.timeline import TimelineSQL

    with Ledger(url) as ledger:
        notifications = ledger.app.recorder.select_notifications(0, 10**9, inclusive_of_start=False)
        changes = ledger._changes(notifications)
    grouped: dict[str, list[dict[str, Any]]] = {}
    for change in changes:
        grouped.setdefault(change.statement, []).append(change.params)
    out = []
    for name, rows in grouped.items():
        text = " ".join(TimelineSQL.statements[name].format(**{t: t for t in TimelineSQL.tables}).split())
        match = re.fullmatch(r"INSERT INTO (\S+) \((.*?)\) VALUES \((.*)\)", text)
        assert match, f"the floor takes plain INSERTs only (the workload has no {name!r})"
        columns = [x.strip() for x in match.group(2).split(",")]
        values = [x.strip() for x in match.group(3).split(",")]
        out.append((match.group(1), columns,
                    [tuple(r[v[1:]] if v.startswith(":") else int(v) for v in values) for r in rows]))
    return out, sum(len(rows) for _, _, rows in out)


def worker_floor(source_url: str, target_url: str) -> dict[str, Any]:
    """The projection's rows, prebuilt, written raw into ``target_url`` with the same DDL."""
    from ledger.projections.timeline import TimelineSQL

    batches, count = _plain_rows(source_url)
    server = ServerCPU(target_url)
    names = {t: t for t in TimelineSQL.tables}
    tables = [f"CREATE TABLE {t} ({body})" for t, body in TimelineSQL.tables.items()]
    indexes = [index.format(**names) for index in TimelineSQL.indexes]
    if target_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(target_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        started, cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN")
        for statement in tables:
            conn.execute(statement)
        for table, columns, rows in batches:
            conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                             rows)
        conn.execute("COMMIT")
        loaded, loaded_cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN")
        for statement in indexes:
            conn.execute(statement)
        conn.execute("COMMIT")
        conn.close()
    else:
        import psycopg

        conn = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=" + target_url.rsplit("/", 1)[1])
        server.start()
        started, cpu = time.perf_counter(), time.process_time()
        for statement in tables:
            conn.execute(statement)
        for table, columns, rows in batches:
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        loaded, loaded_cpu = time.perf_counter(), time.process_time()
        for statement in indexes:
            conn.execute(statement)
        conn.commit()
    elapsed, elapsed_cpu = time.perf_counter() - started, time.process_time() - cpu
    server_cpu = server.stop()
    conn.close()
    return {"rows": count, "s": elapsed, "cpu_s": elapsed_cpu, "server_cpu_s": server_cpu, "load_s": loaded - started,
            "load_cpu_s": loaded_cpu - cpu}


WORKERS = {"rebuild": worker_rebuild, "raw_read": worker_raw_read, "floor": worker_floor}


def run_worker(name: str, *args: str) -> dict[str, Any]:
    command = [sys.executable, str(HERE), "worker", name, *args]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, cwd=HERE.parent.parent, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def rebuild_ab(backend: str, folder: Path, n: int, matters: int, seed: int, rounds: int,
               baseline_tree: str | None = None) -> dict[str, Any]:
    from scripts.bench import BATCH, drop_databases, new_database, workload
    from scripts.bench import run_worker as bench_worker

    source = new_database(backend, folder, f"{backend}_rebuild_ab")
    created = [source]
    bench_worker("ingest", source, workload(folder, n, matters, seed), BATCH)
    steps = ["raw_read", "rebuild", "floor"] + (["rebuild_before"] if baseline_tree else [])
    results: dict[str, list[dict[str, Any]]] = {step: [] for step in steps}
    try:
        for r in range(rounds):
            print(f"[{backend}] rebuild A/B round {r + 1}/{rounds} ...", file=sys.stderr, flush=True)
            for step in steps[r % len(steps):] + steps[:r % len(steps)]:  # the order rotates
                if step == "raw_read":
                    results[step].append(run_worker("raw_read", source))
                elif step == "rebuild":
                    results[step].append(run_worker("rebuild", source))
                elif step == "rebuild_before":
                    results[step].append(run_worker("rebuild", source, str(baseline_tree)))
                else:
                    target = new_database(backend, folder, f"{backend}_rebuild_floor")
                    created.append(target)
                    results[step].append(run_worker("floor", source, target))
    finally:
        if backend == "postgres":
            drop_databases(created)
    for runs in results.values():
        for x in runs:
            x["all_cpu_s"] = x["cpu_s"] + x["server_cpu_s"]
    keys = ("s", "cpu_s", "all_cpu_s")
    median = {step: {k: statistics.median(x[k] for x in runs) for k in keys} for step, runs in results.items()}
    base = median["raw_read"]
    return {"backend": backend, "statements": n, "events": results["rebuild"][0]["events"],
            "rounds": rounds, "runs": results, "median": median,
            "ratio": {step: {k: m[k] / base[k] for k in keys} for step, m in median.items()}}


def markdown(results: list[dict[str, Any]]) -> str:
    steps = ["raw_read", "rebuild", "rebuild_before", "floor"]
    lines = ["| backend | events | " + " | ".join(s.replace("_", " ") for s in steps) + " |",
             "|---|---:|" + "---:|" * len(steps),
             ]
    for r in results:
        cells = []
        for step in steps:
            if step not in r["median"]:
                cells.append("-")
                continue
            m, x = r["median"][step], r["ratio"][step]
            cells.append(f"{m['s']:.2f} s ({x['s']:.2f}x); CPU {m['cpu_s']:.2f} s ({x['cpu_s']:.2f}x)"
                         + (f"; with the server's {m['all_cpu_s']:.2f} s ({x['all_cpu_s']:.2f}x)"
                            if r["backend"] == "postgres" else ""))
        lines.append(f"| {r['backend']} | {r['events']:,} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Ratios are to raw read + decode: wall; CPU of the worker process; on PostgreSQL also that CPU "
                 "plus the server processes' serving the database. "
                 "Per round (wall s): " + "; ".join(
                     f"{r['backend']} {step} " + " / ".join(f"{x['s']:.2f}" for x in runs)
                     for r in results for step, runs in r["runs"].items()))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1:2] == ["worker"]:
        if len(sys.argv) < 6:  # no other tree to import ``ledger`` from: this one's scripts too
            sys.path.insert(0, str(HERE.parent.parent))
        print(json.dumps(WORKERS[sys.argv[2]](*sys.argv[3:])))
        sys.exit(0)
    sys.exit("run through scripts/bench.py --rebuild-ab N")
