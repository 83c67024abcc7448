"""Benchmarks of the ledger against the raw database doing the same work, side by side.

Usage::

    python scripts/bench.py                      # the reduced run (make bench): a few minutes
    python scripts/bench.py --full               # make bench-full: 100k ingest, status at 10k/100k/1M
    python scripts/bench.py --ingest 20000 --sizes 10000,20000 --backends sqlite --markdown out.md

Every measured operation runs in a child process of its own (this script with
``worker ...``), so that peak memory (max RSS, from ``wait4``) belongs to that
operation alone and one measurement cannot warm the next.

What is measured (see BENCHMARKS.md for results and how to read them):

1. Ingest: ``Ledger.record`` of N generated statements (streamed from JSON Lines,
   validated, checked against the ledger, appended in batches) and the projection
   catch-up, against raw ``sqlite3``/``psycopg`` inserting the very same stored events
   (read back from the ledger) into an identical table in the same batch size
   (``executemany``; on PostgreSQL also ``COPY``). The append alone through the
   eventsourcing recorder (with the hash chain) is measured too.
2. Projection rebuild: dropping the timeline tables and applying every event again,
   against a raw ``SELECT`` of the stored events plus decoding them to domain events.
3. As-of status: ``queries.status`` for 1,000 random (matter, date) pairs, p50/p99; also
   on the skewed ledger (``generate.py --skewed``) of the ingest size.
3c. Analyst commands: ``check`` over every matter, ``report`` and ``plot`` of the matter
   nearest 1,000 statements, in the ingest-size ledger.
4. Peak memory (max RSS) of ingest and rebuild.
5. Start-up: a whole ``ledger status`` command, and ``python -c pass`` beside it.
6. (PostgreSQL) the lag of ``ledger follow`` under a steady ingest of 1,000 statements/s.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL = "postgresql://postgres@127.0.0.1:5432/{name}"
BATCH = 1000
ANALYST_MATTER = 1000  # check/report/plot: the matter with about this many statements


# --- databases ---------------------------------------------------------------------------


def new_database(backend: str, folder: Path, tag: str) -> str:
    if backend == "sqlite":
        path = folder / f"{tag}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    name = f"ledger_bench_{tag}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_URL.format(name=name)


def drop_databases(urls: list[str]) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        for url in urls:
            if url.startswith("postgresql"):
                conn.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# --- workers (run in child processes) ---------------------------------------------------


def worker_ingest(url: str, folder: str, batch: int) -> dict[str, Any]:
    from ledger.application import Ledger
    from ledger.inputs import iter_inputs

    with Ledger(url) as ledger:
        started, cpu = time.perf_counter(), time.process_time()
        result = ledger.record(iter_inputs([folder]), recorded_by="bench", batch_size=batch)
        recorded, record_cpu = time.perf_counter(), time.process_time() - cpu
        ledger.catch_up()
        projected = time.perf_counter()
    return {"statements": result.recorded_count, "matters": len(result.matters_declared),
            "record_s": recorded - started, "record_cpu_s": record_cpu, "project_s": projected - recorded}


def worker_record_validated(url: str, folder: str, batch: int) -> dict[str, Any]:
    """``Ledger.record`` of documents read and validated beforehand, untimed: what would be
    left to the recording process if another process parsed and validated, the floor of
    such a split on two cores (its checks, spans, spool and append)."""
    import gc

    from ledger.application import Ledger
    from ledger.inputs import iter_inputs

    items = list(iter_inputs([folder]))
    gc.collect()
    gc.freeze()  # the documents held are not the record's garbage to traverse
    with Ledger(url) as ledger:
        started, cpu = time.perf_counter(), time.process_time()
        result = ledger.record(items, recorded_by="bench", batch_size=batch)
        recorded, record_cpu = time.perf_counter(), time.process_time() - cpu
    return {"statements": result.recorded_count, "record_s": recorded - started, "record_cpu_s": record_cpu}


def worker_validate(folder: str) -> dict[str, Any]:
    """The floor of ``record`` with pydantic kept: validating every document of the workload
    (``model_validate`` of the statements and matter files, already parsed; nothing else)."""
    from ledger.domain.documents import MatterFile, Statement
    from ledger.inputs import expand_paths, read_raw_documents

    values = [value for path in expand_paths([folder])
              for value, _, _ in read_raw_documents(str(path), path.read_bytes())]
    started, cpu = time.perf_counter(), time.process_time()
    for value in values:
        (MatterFile if "matter" in value and isinstance(value["matter"], dict) else Statement).model_validate(value)
    return {"documents": len(values), "validate_s": time.perf_counter() - started,
            "validate_cpu_s": time.process_time() - cpu}


def _stored_events(url: str) -> list[Any]:
    from eventsourcing.persistence import StoredEvent

    from ledger.application import Ledger

    with Ledger(url) as ledger:
        notifications = ledger.app.recorder.select_notifications(0, 10**9, inclusive_of_start=False)
    return [StoredEvent(n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]


def worker_append(source_url: str, target_url: str, batch: int) -> dict[str, Any]:
    """The same stored events appended through the ledger's recorder (eventsourcing + chain)."""
    from ledger.application import Ledger

    events = _stored_events(source_url)
    with Ledger(target_url) as ledger:
        recorder = ledger.app.recorder
        started = time.perf_counter()
        for start in range(0, len(events), batch):
            recorder.insert_events(events[start:start + batch])
        elapsed = time.perf_counter() - started
    return {"events": len(events), "append_s": elapsed}


def _old_sqlite_insert_events(self: Any, c: Any, stored_events: Any, **kwargs: Any) -> Any:
    """The SQLite append path before the executemany change (one INSERT per event), for A/B."""
    from eventsourcing.sqlite import SQLiteApplicationRecorder

    from ledger.chain import GENESIS, chain_hashes, clamp_times

    if not stored_events:
        return SQLiteApplicationRecorder._insert_events(self, c, stored_events, **kwargs)
    c.execute(f"DELETE FROM {self.chain_table_name} WHERE 0")
    c.execute(f"SELECT state FROM {self.events_table_name} ORDER BY rowid DESC LIMIT 1")
    row = c.fetchone()
    stored_events = clamp_times(row[0] if row else None, stored_events)
    ids = SQLiteApplicationRecorder._insert_events(self, c, stored_events, **kwargs)
    c.execute(f"SELECT hash FROM {self.chain_table_name} ORDER BY notification_id DESC LIMIT 1")
    row = c.fetchone()
    hashes = chain_hashes(row[0] if row else GENESIS, ids, stored_events)
    c.executemany(f"INSERT INTO {self.chain_table_name} (notification_id, hash) VALUES (?, ?)",
                  list(zip(ids, hashes, strict=True)))
    return ids


def worker_append_path(source_url: str, target_url: str, batch: int, path: str) -> dict[str, Any]:
    """``worker_append`` through one append path: ``new`` (SQLite executemany; PostgreSQL
    binary COPY into a staging table + ``<events>_append_staged()``) or ``old`` (SQLite one
    INSERT per event; PostgreSQL arrays into ``<events>_append(...)``)."""
    if path == "old":
        import ledger.chain_postgres
        from ledger.chain import SQLiteChainedRecorder

        ledger.chain_postgres.COPY_FROM = 10**9  # type: ignore[misc]
        SQLiteChainedRecorder._insert_events = _old_sqlite_insert_events  # type: ignore[method-assign]
    return worker_append(source_url, target_url, batch)


def worker_raw_insert(source_url: str, target_url: str, batch: int) -> dict[str, Any]:
    """The same stored events, inserted with the driver into an identical table."""
    events = _stored_events(source_url)
    rows = [(e.originator_id, e.originator_version, e.topic, e.state) for e in events]
    out: dict[str, Any] = {"events": len(rows)}
    if target_url.startswith("sqlite"):
        import sqlite3

        with sqlite3.connect(source_url.removeprefix("sqlite:///")) as source:
            ddl = source.execute("SELECT sql FROM sqlite_master WHERE name = 'stored_events'").fetchone()[0]
        conn = sqlite3.connect(target_url.removeprefix("sqlite:///"), isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(ddl)
        rows = [(o.hex, v, t, s) for o, v, t, s in rows]
        started = time.perf_counter()
        cpu = time.process_time()
        for start in range(0, len(rows), batch):
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO stored_events (originator_id, originator_version, topic, state) "
                             "VALUES (?, ?, ?, ?)", rows[start:start + batch])
            conn.execute("COMMIT")
        out["executemany_s"], out["executemany_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
        conn.close()
        return out
    import psycopg

    conninfo = "host=127.0.0.1 port=5432 user=postgres dbname=" + target_url.rsplit("/", 1)[1]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        for table in ("raw_events", "raw_events_copy"):
            conn.execute(f"CREATE TABLE {table} (notification_id bigserial, originator_id uuid NOT NULL, "
                         "originator_version integer NOT NULL, topic text, state bytea, "
                         "PRIMARY KEY (originator_id, originator_version))")
            conn.execute(f"CREATE UNIQUE INDEX ON {table} (notification_id)")
        started, cpu = time.perf_counter(), time.process_time()
        for start in range(0, len(rows), batch):
            with conn.transaction(), conn.cursor() as cursor:
                cursor.executemany("INSERT INTO raw_events (originator_id, originator_version, topic, state) "
                                   "VALUES (%s, %s, %s, %s)", rows[start:start + batch])
        out["executemany_s"], out["executemany_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            with conn.transaction(), conn.cursor() as cursor, cursor.copy(
                    "COPY raw_events_copy (originator_id, originator_version, topic, state) FROM STDIN") as copy:
                for row in rows[start:start + batch]:
                    copy.write_row(row)
        out["copy_s"] = time.perf_counter() - started
    return out


def worker_rebuild(url: str) -> dict[str, Any]:
    from ledger.application import Ledger

    with Ledger(url) as ledger:  # what `ledger rebuild` does
        started = time.perf_counter()
        ledger.reset_projection()
        events = ledger.catch_up()
        elapsed = time.perf_counter() - started
    return {"events": events, "rebuild_s": elapsed}


def worker_rebuild_phases(url: str) -> dict[str, Any]:
    """The raw read + decode, then ``ledger rebuild`` phase by phase (what ``catch_up`` runs
    after the reset), in one process on the same ledger: where a rebuild's time goes."""
    from ledger.application import STATISTICS_AFTER_EVENTS, Ledger

    with Ledger(url) as ledger:
        started = time.perf_counter()
        read_and_decode(ledger)
        marks = [("raw_read_decode_s", time.perf_counter())]
        ledger.reset_projection()
        marks.append(("reset_s", time.perf_counter()))
        events = ledger.catch_up_view(ledger.view)
        marks.append(("apply_s", time.perf_counter()))
        ledger.view.create_deferred_indexes()
        marks.append(("indexes_s", time.perf_counter()))
        if events >= STATISTICS_AFTER_EVENTS:  # as Ledger.catch_up does
            ledger.view.refresh_statistics()
        marks.append(("statistics_s", time.perf_counter()))
    out: dict[str, Any] = {"events": events}
    previous = started
    for name, at in marks:
        out[name], previous = at - previous, at
    out["rebuild_s"] = marks[-1][1] - marks[0][1]
    out["ratio"] = out["rebuild_s"] / out["raw_read_decode_s"]
    return out


def read_and_decode(ledger: Any) -> int:
    """The raw side of the rebuild's ratio: every stored event read in pages of 2,000 and
    decoded to its domain event by the mapper; returns how many."""
    position, count = 0, 0
    while True:
        page = ledger.app.recorder.select_notifications(position, 2000, inclusive_of_start=False)
        if not page:
            return count
        for notification in page:
            ledger.app.mapper.to_domain_event(notification)
        count += len(page)
        position = page[-1].id


def worker_raw_read(url: str) -> dict[str, Any]:
    from ledger.application import Ledger

    with Ledger(url) as ledger:
        started = time.perf_counter()
        count = read_and_decode(ledger)
        elapsed = time.perf_counter() - started
    return {"events": count, "read_decode_s": elapsed}


def worker_status(url: str, pairs: int, seed: int) -> dict[str, Any]:
    import datetime as dt

    from ledger import queries
    from ledger.application import Ledger

    with Ledger(url) as ledger:
        ledger.catch_up()
        matters = [m["matter_id"] for m in ledger.view.query("SELECT matter_id FROM {ledger_matters}")]
        rng = random.Random(seed)
        start = dt.date(2015, 1, 1).toordinal()
        end = dt.date(2025, 6, 30).toordinal()
        questions = [(rng.choice(matters), dt.date.fromordinal(rng.randint(start, end))) for _ in range(pairs)]
        for matter, day in questions[:20]:  # warm the connection and the caches
            queries.status(ledger.view, matter, day)
        timings, figures = [], 0
        for matter, day in questions:
            started = time.perf_counter()
            report = queries.status(ledger.view, matter, day)
            timings.append(time.perf_counter() - started)
            figures += sum(1 for f in report["figures"].values() if f)
    timings.sort()
    return {"pairs": pairs, "p50_ms": 1000 * timings[len(timings) // 2],
            "p99_ms": 1000 * timings[int(len(timings) * 0.99) - 1], "max_ms": 1000 * timings[-1],
            "figures_found": figures}


def worker_analyst(url: str, target: int, output: str) -> dict[str, Any]:
    """`check` over every matter, and `report` and `plot` of the matter nearest ``target``
    statements, in-process, as the commands run them (after start-up). Wall time, and the CPU
    time of this process (on a shared machine the steadier of the two; on PostgreSQL it leaves
    out the server's share)."""
    import datetime as dt

    import gc
    import resource

    from ledger import plot, report
    from ledger.application import Ledger
    from ledger.checking import check_matters, default_jobs
    from ledger.readmodel import Snapshot, TimelineReadModel

    day = dt.date(2026, 1, 1)
    with Ledger(url) as ledger:
        ledger.catch_up()
        counts = ledger.view.query("SELECT matter_id, COUNT(*) AS n FROM {ledger_statements} GROUP BY matter_id")
        chosen = min(counts, key=lambda r: (abs(r["n"] - target), r["matter_id"]))
        out: dict[str, Any] = {"matter": chosen["matter_id"], "matter_statements": chosen["n"],
                               "matters": len(counts)}
        started, cpu = time.perf_counter(), time.process_time()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        found = check_matters(url, TimelineReadModel(ledger.view), None, Snapshot(day))  # as `ledger check`
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["check_all_s"], out["check_all_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
        out["check_workers_cpu_s"] = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        out["check_jobs"] = default_jobs()
        out["check_findings"] = len(found)
        del found  # as separate commands: the findings held would slow every GC pass of what follows
        gc.collect()
        started, cpu = time.perf_counter(), time.process_time()
        data = report.report_data(ledger.view, chosen["matter_id"], day, charts=True)
        html = report.render(data)
        out["report_s"], out["report_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
        out["report_mb"] = len(html.encode()) / 1e6
        started, cpu = time.perf_counter(), time.process_time()
        chart = plot.chart_data(ledger.view, chosen["matter_id"], None, day)
        plot.save(plot.draw(chart), output)
        out["plot_s"], out["plot_cpu_s"] = time.perf_counter() - started, time.process_time() - cpu
    return out


WORKERS = {"analyst": worker_analyst, "ingest": worker_ingest, "append": worker_append, "raw_insert": worker_raw_insert,
           "append_path": worker_append_path, "validate": worker_validate, "record_validated": worker_record_validated,
           "rebuild": worker_rebuild, "rebuild_phases": worker_rebuild_phases, "raw_read": worker_raw_read,
           "status": worker_status}


def run_worker(name: str, *args: Any, root: Path = ROOT) -> dict[str, Any]:
    """Run a worker in a child process; add its peak memory (max RSS, MB) and its CPU time
    (user + system, s: on a shared machine steadier than wall time). ``root``: another checkout
    of the ledger whose code the worker runs (its own ``scripts/bench.py``), for an A/B."""
    command = [sys.executable, str(root / "scripts" / "bench.py"), "worker", name, *map(str, args)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=root)
    out = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"worker {name} failed with exit code {process.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["max_rss_mb"] = usage.ru_maxrss / 1024
    result["cpu_s"] = usage.ru_utime + usage.ru_stime
    return result


# --- start-up and follower lag ------------------------------------------------------------


def startup(folder: Path) -> dict[str, Any]:
    url = f"sqlite:///{folder / 'startup.db'}"
    ledger = [sys.executable, "-m", "ledger", "--db", url]
    subprocess.run([*ledger, "record", str(ROOT / "examples" / "indians-in-russian-army")], check=True,
                   capture_output=True)

    def median_of(command: list[str], runs: int = 11) -> float:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    status = median_of([*ledger, "status", "--as-of", "2025-08-15"])
    bare = median_of([sys.executable, "-c", "pass"])
    imports = median_of([sys.executable, "-c", "import ledger.cli, ledger.application, ledger.queries"])
    return {"status_command_ms": status, "python_bare_ms": bare, "imports_ms": imports,
            "ledger_overhead_ms": status - bare}


def follower_lag(folder: Path, matters_file: Path, rate: int, seconds: float) -> dict[str, Any]:
    """Steady ingest of ``rate`` statements/s for ``seconds`` while `ledger follow` runs."""
    from scripts.generate import generate_matters, generate_statements

    from ledger.application import Ledger
    from ledger.domain.documents import Statement as StatementDocument
    from ledger.follow import lag
    from ledger.inputs import Located, iter_inputs

    url = new_database("postgres", folder, "follow")
    with Ledger(url) as ledger:
        ledger.record(iter_inputs([str(matters_file)]), recorded_by="bench")
        ledger.catch_up()
    follower = subprocess.Popen([sys.executable, "-m", "ledger", "--db", url, "follow", "--report-every", "3600"],
                                cwd=ROOT, stderr=subprocess.DEVNULL)
    samples: list[int] = []
    try:
        time.sleep(1.0)
        matters = generate_matters(100, seed=7)
        stream = generate_statements(matters, int(rate * seconds) + rate, seed=7)
        batch = max(rate // 10, 1)  # a batch every 100 ms
        with Ledger(url) as ledger:
            started = time.perf_counter()
            sent = 0
            behind = 0.0
            while time.perf_counter() - started < seconds:
                docs = [next(stream) for _ in range(batch)]
                ledger.record((Located("bench", (), None, None, StatementDocument.model_validate(d)) for d in docs),
                              recorded_by="bench", batch_size=batch)
                sent += batch
                samples.append(lag(ledger).events)
                due = started + sent / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                else:
                    behind = -pause
            elapsed = time.perf_counter() - started
            drain_started = time.perf_counter()
            while lag(ledger).events > 0 and time.perf_counter() - drain_started < 120:
                time.sleep(0.01)
            drain = time.perf_counter() - drain_started
    finally:
        follower.terminate()
        follower.wait(30)
        drop_databases([url])
    samples.sort()
    return {"target_rate": rate, "achieved_rate": sent / elapsed, "seconds": elapsed,
            "writer_behind_s": behind, "lag_events_p50": samples[len(samples) // 2],
            "lag_events_p99": samples[int(len(samples) * 0.99) - 1], "lag_events_max": samples[-1],
            "drain_after_stop_s": drain}


# --- the run ---------------------------------------------------------------------------------


def workload(folder: Path, statements: int, matters: int, seed: int, skewed: bool = False) -> Path:
    from scripts.generate import write_workload

    target = folder / f"workload-{matters}m-{statements}s-{seed}{'-skewed' if skewed else ''}"
    if not (target / "manifest.json").exists():
        shutil.rmtree(target, ignore_errors=True)
        write_workload(target, matters=matters, statements=statements, seed=seed, skewed=skewed)
    return target / "record"


def bench_backend(backend: str, folder: Path, ingest_n: int, sizes: list[int], matters: int, seed: int,
                  pairs: int, web: dict[str, Any] | None = None) -> dict[str, Any]:
    web = web or {}
    created: list[str] = []
    out: dict[str, Any] = {"backend": backend, "ingest": {}, "status": []}
    try:
        for size in sorted(set(sizes) | {ingest_n}):
            data = workload(folder, size, matters, seed)
            url = new_database(backend, folder, f"{backend}_{size}")
            created.append(url)
            print(f"[{backend}] ingest {size:,} statements ...", file=sys.stderr, flush=True)
            ingest = run_worker("ingest", url, data, BATCH)
            if size == ingest_n:
                events = ingest["statements"] + ingest["matters"]
                raw_url = new_database(backend, folder, f"{backend}_raw")
                append_url = new_database(backend, folder, f"{backend}_append")
                created += [raw_url, append_url]
                print(f"[{backend}] raw inserts and recorder appends ...", file=sys.stderr, flush=True)
                raw = run_worker("raw_insert", url, raw_url, BATCH)
                append = run_worker("append", url, append_url, BATCH)
                print(f"[{backend}] rebuild and raw read ...", file=sys.stderr, flush=True)
                raw_read = run_worker("raw_read", url)
                rebuild = run_worker("rebuild", url)
                out["ingest"] = {"statements": size, "events": events, "ledger": ingest, "raw": raw,
                                 "append": append, "raw_read": raw_read, "rebuild": rebuild}
            if size in sizes:
                print(f"[{backend}] status latency at {size:,} ...", file=sys.stderr, flush=True)
                status = run_worker("status", url, pairs, seed)
                out["status"].append({"statements": size, **status})
            if size not in (ingest_n,) and backend == "sqlite":
                pass
            if size == max(sizes) and web.get("seconds"):
                from scripts.bench_web import measure

                print(f"[{backend}] web: {web['clients']} clients for {web['seconds']:.0f} s at {size:,} ...",
                      file=sys.stderr, flush=True)
                out["web"] = {"statements": size, **measure(url, web["clients"], web["seconds"], web["workers"])}
            out.setdefault("ingest_rss", []).append({"statements": size, "max_rss_mb": ingest["max_rss_mb"],
                                                     "record_s": ingest["record_s"],
                                                     "project_s": ingest["project_s"]})
            if size == ingest_n:
                print(f"[{backend}] check, report and plot on a big matter ...", file=sys.stderr, flush=True)
                out["analyst"] = run_worker("analyst", url, ANALYST_MATTER, folder / f"{backend}_plot.png")
        # The skewed ledger (scripts/generate.py --skewed): a few matters hold most statements,
        # and year-precision statements pile figures on 12-31.
        data = workload(folder, ingest_n, matters, seed, skewed=True)
        url = new_database(backend, folder, f"{backend}_{ingest_n}_skewed")
        created.append(url)
        print(f"[{backend}] skewed ledger: ingest {ingest_n:,} and status ...", file=sys.stderr, flush=True)
        run_worker("ingest", url, data, BATCH)
        out["status_skewed"] = {"statements": ingest_n, **run_worker("status", url, pairs, seed)}
    finally:
        if backend == "postgres":
            drop_databases(created)
    return out


def append_ab(backend: str, folder: Path, n: int, matters: int, seed: int, rounds: int,
              base: Path | None = None) -> dict[str, Any]:
    """Append paths and the whole record side by side, interleaved round by round: raw
    ``executemany`` of the same stored events, the recorder's new and old append paths, and
    ``Ledger.record`` of the same workload (medians over ``rounds``); with ``base`` (another
    checkout) also its ``Ledger.record``, just before this one's (``record_base``). CPU times
    of the record processes (``*_cpu``, client side only) beside the wall times."""
    created: list[str] = []
    data = workload(folder, n, matters, seed)
    source = new_database(backend, folder, f"{backend}_ab_source")
    created.append(source)
    run_worker("ingest", source, data, BATCH)
    times: dict[str, list[float]] = {"raw_executemany": [], "raw_copy": [], "append_new": [], "append_old": [],
                                     "record": [], "raw_read_decode": [], "rebuild": [], "record_cpu": [],
                                     "raw_executemany_cpu": [], "validate": [], "validate_cpu": [],
                                     "record_validated": []}
    if base is not None:
        times.update(record_base=[], record_base_cpu=[])
    try:
        for r in range(rounds):
            print(f"[{backend}] append A/B round {r + 1}/{rounds} ...", file=sys.stderr, flush=True)
            urls = {k: new_database(backend, folder, f"{backend}_ab_{k}")
                    for k in ("raw", "new", "old", "rec", "base", "val")}
            created += list(urls.values())
            for step in ("raw", "new", "old")[r % 3:] + ("raw", "new", "old")[:r % 3]:  # order rotates
                if step == "raw":
                    raw = run_worker("raw_insert", source, urls["raw"], BATCH)
                    times["raw_executemany"].append(raw["executemany_s"])
                    times["raw_executemany_cpu"].append(raw["executemany_cpu_s"])
                    if "copy_s" in raw:
                        times["raw_copy"].append(raw["copy_s"])
                else:
                    times[f"append_{step}"].append(
                        run_worker("append_path", source, urls[step], BATCH, step)["append_s"])
            records = [("record", ROOT, urls["rec"])] + ([("record_base", base, urls["base"])] if base else [])
            for key, root, url in records[r % 2:] + records[:r % 2]:  # order alternates
                found = run_worker("ingest", url, data, BATCH, root=root)
                times[key].append(found["record_s"])
                times[f"{key}_cpu"].append(found.get("record_cpu_s", found["cpu_s"]))
            times["record_validated"].append(run_worker("record_validated", urls["val"], data, BATCH)["record_s"])
            floor = run_worker("validate", data)
            times["validate"].append(floor["validate_s"])
            times["validate_cpu"].append(floor["validate_cpu_s"])
            times["raw_read_decode"].append(run_worker("raw_read", urls["rec"])["read_decode_s"])
            times["rebuild"].append(run_worker("rebuild", urls["rec"])["rebuild_s"])
            if backend == "postgres":
                drop_databases(list(urls.values()))
    finally:
        if backend == "postgres":
            drop_databases(created)
    med = {k: statistics.median(v) for k, v in times.items() if v}
    base = med["raw_executemany"]
    return {"backend": backend, "statements": n, "rounds": rounds, "seconds": times, "median_s": med,
            "ratio_to_raw_executemany": {k: v / base for k, v in med.items()},
            "rebuild_to_raw_read_decode": med["rebuild"] / med["raw_read_decode"]}


def append_ab_markdown(results: list[dict[str, Any]]) -> str:
    lines = ["| backend | statements | raw executemany s | raw COPY | append new | append old | whole record "
             "| whole record (base) | record CPU s (base) | pydantic alone | record of validated documents "
             "| raw read+decode s | rebuild (x raw read+decode) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        m, x = r["median_s"], r["ratio_to_raw_executemany"]

        def cell(k: str) -> str:
            return f"{m[k]:.2f} s ({x[k]:.2f}x)" if k in m else "-"
        lines.append(f"| {r['backend']} | {r['statements']:,} | {m['raw_executemany']:.2f} | {cell('raw_copy')} | "
                     f"{cell('append_new')} | {cell('append_old')} | {cell('record')} | {cell('record_base')} | "
                     f"{m['record_cpu']:.2f}" + (f" ({m['record_base_cpu']:.2f})" if "record_base_cpu" in m else "")
                     + f" | {cell('validate')} | {cell('record_validated')} | "
                     f"{m['raw_read_decode']:.2f} | {m['rebuild']:.2f} s ({r['rebuild_to_raw_read_decode']:.2f}x) |")
    return "\n".join(lines) + "\n"


def markdown(results: dict[str, Any]) -> str:
    lines = [f"Command: `{results['command']}`  ", f"Machine: {results['machine']}; {results['when']}", ""]
    lines += ["### 1. Ingest (statements/s; ratio = time / raw executemany time)", "",
              "| backend | statements | `record` (check + append) | projection catch-up | record + project | "
              "append via recorder | raw executemany | raw COPY | record ÷ raw | append ÷ raw |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    for b in results["backends"]:
        i = b["ingest"]
        n, ev = i["statements"], i["events"]
        rec, proj = i["ledger"]["record_s"], i["ledger"]["project_s"]
        raw = i["raw"]["executemany_s"]
        copy = i["raw"].get("copy_s")
        lines.append(
            f"| {b['backend']} | {n:,} | {n / rec:,.0f}/s ({rec:.1f} s) | {ev / proj:,.0f} events/s ({proj:.1f} s) | "
            f"{n / (rec + proj):,.0f}/s | {ev / i['append']['append_s']:,.0f}/s ({i['append']['append_s']:.2f} s) | "
            f"{ev / raw:,.0f}/s ({raw:.2f} s) | " + (f"{ev / copy:,.0f}/s ({copy:.2f} s)" if copy else "n/a")
            + f" | {rec / raw:.1f}x | {i['append']['append_s'] / raw:.1f}x |")
    lines += ["", "### 2. Projection rebuild (events/s; ratio = rebuild / raw read + decode)", "",
              "| backend | events | rebuild | raw SELECT + decode | ratio |", "|---|---|---|---|---|"]
    for b in results["backends"]:
        i = b["ingest"]
        rb, rr = i["rebuild"]["rebuild_s"], i["raw_read"]["read_decode_s"]
        ev = i["rebuild"]["events"]
        lines.append(f"| {b['backend']} | {ev:,} | {ev / rb:,.0f}/s ({rb:.1f} s) | {ev / rr:,.0f}/s ({rr:.2f} s) "
                     f"| {rb / rr:.1f}x |")
    lines += ["", f"### 3. As-of status, in-process ({results['pairs']} random (matter, date) pairs)", "",
              "| backend | statements | p50 | p99 | max |", "|---|---|---|---|---|"]
    for b in results["backends"]:
        for s in b["status"]:
            lines.append(f"| {b['backend']} | {s['statements']:,} | {s['p50_ms']:.2f} ms | {s['p99_ms']:.2f} ms "
                         f"| {s['max_ms']:.2f} ms |")
    lines += ["", "### 3b. As-of status on the skewed ledger (`generate.py --skewed`)", "",
              "| backend | statements | p50 | p99 | max |", "|---|---|---|---|---|"]
    for b in results["backends"]:
        s = b.get("status_skewed")
        if s:
            lines.append(f"| {b['backend']} | {s['statements']:,} | {s['p50_ms']:.2f} ms | {s['p99_ms']:.2f} ms "
                         f"| {s['max_ms']:.2f} ms |")
    lines += ["", "### 3c. Analyst commands (in-process; `check` over every matter, `report` and `plot` of one "
              "matter)", "",
              "| backend | ledger | matter (statements) | check, all matters | report (size) | plot |",
              "|---|---|---|---|---|---|"]
    for b in results["backends"]:
        a = b.get("analyst")
        if a:
            lines.append(f"| {b['backend']} | {b['ingest']['statements']:,} statements, {a['matters']:,} matters | "
                         f"{a['matter']} ({a['matter_statements']:,}) | {a['check_all_s']:.1f} s "
                         f"(CPU {a['check_all_cpu_s'] + a.get('check_workers_cpu_s', 0):.1f} s, "
                         f"{a.get('check_jobs', 1)} jobs) | {a['report_s']:.1f} s, CPU {a['report_cpu_s']:.1f} s "
                         f"({a['report_mb']:.1f} MB) | {a['plot_s']:.1f} s (CPU {a['plot_cpu_s']:.1f} s) |")
    lines += ["", "### 4. Peak memory (max RSS of the child process)", "",
              "| backend | operation | statements | max RSS |", "|---|---|---|---|"]
    for b in results["backends"]:
        for r in b.get("ingest_rss", []):
            lines.append(f"| {b['backend']} | ingest (record + project) | {r['statements']:,} | {r['max_rss_mb']:.0f} MB |")
        lines.append(f"| {b['backend']} | rebuild | {b['ingest']['statements']:,} | "
                     f"{b['ingest']['rebuild']['max_rss_mb']:.0f} MB |")
    s = results["startup"]
    lines += ["", "### 5. Start-up", "",
              f"A whole `ledger status --as-of 2025-08-15` command (SQLite, the bundled example): "
              f"**{s['status_command_ms']:.0f} ms** median of 11, of which `python -c pass` is "
              f"{s['python_bare_ms']:.0f} ms; importing `ledger.cli`, `ledger.application` and `ledger.queries` "
              f"takes {s['imports_ms'] - s['python_bare_ms']:.0f} ms over bare Python."]
    if results.get("follow"):
        f = results["follow"]
        lines += ["", "### 6. Follower lag (PostgreSQL, `ledger follow` beside one writer)", "",
                  f"Target {f['target_rate']:,} statements/s for {f['seconds']:.0f} s in batches every 100 ms; "
                  f"achieved {f['achieved_rate']:,.0f}/s. Lag sampled after each batch: p50 "
                  f"{f['lag_events_p50']} events, p99 {f['lag_events_p99']}, max {f['lag_events_max']}; "
                  f"drained {f['drain_after_stop_s']:.2f} s after the writer stopped."]
    web = [b for b in results["backends"] if b.get("web")]
    if web:
        lines += ["", "### 7. Web: `ledger serve`, concurrent clients asking status at random dates (loopback)", "",
                  "| backend | statements | workers | clients | requests | throughput | p50 | p99 | errors | load |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        for b in web:
            w = b["web"]
            lines.append(f"| {b['backend']} | {w['statements']:,} | {w['workers']} | {w['clients']} | "
                         f"{w['requests']:,} | {w['throughput_per_s']}/s | {w['p50_ms']} ms | {w['p99_ms']} ms | "
                         f"{w['errors']} | {w['load_average'][0]} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "worker":
        name, *args = argv[1:]
        typed = [int(a) if a.isdigit() else a for a in args]
        print(json.dumps(WORKERS[name](*typed)))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="100k ingest; status at 10k, 100k and 1M")
    parser.add_argument("--ingest", type=int, default=None, help="statements for the ingest benchmark")
    parser.add_argument("--sizes", default=None, help="ledger sizes for status latency, comma-separated")
    parser.add_argument("--matters", type=int, default=1000)
    parser.add_argument("--pairs", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--follow-seconds", type=float, default=20.0, help="0 to skip the follower benchmark")
    parser.add_argument("--web-seconds", type=float, default=30.0,
                        help="web run (scripts/bench_web.py) at the largest size; 0 to skip")
    parser.add_argument("--web-clients", type=int, default=50)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--workdir", default=None, help="where workloads and SQLite files go (kept)")
    parser.add_argument("--json", dest="json_out", default=None, help="write the raw results here")
    parser.add_argument("--markdown", default=None, help="write the tables here (else stdout)")
    parser.add_argument("--append-ab", type=int, default=0, metavar="N",
                        help="only the A/B of append paths, whole record and rebuild on N statements, "
                             "interleaved (--rounds rounds)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--record-base", default=None, metavar="DIR",
                        help="with --append-ab: also time Ledger.record of the checkout in DIR (before/after)")
    parser.add_argument("--rebuild-ab", type=int, default=0, metavar="N",
                        help="only the rebuild A/B on N statements (scripts/bench_rebuild.py): raw read + decode, "
                             "rebuild, the floor (the same rows written raw), interleaved (--rounds rounds)")
    parser.add_argument("--baseline-tree", default=None, metavar="DIR",
                        help="with --rebuild-ab: also rebuild with the ledger package of DIR (the code before)")
    options = parser.parse_args(argv)
    ingest_n = options.ingest or (100_000 if options.full else 20_000)
    sizes = [int(s) for s in options.sizes.split(",")] if options.sizes else (
        [10_000, 100_000, 1_000_000] if options.full else [2_000, 20_000])
    folder = Path(options.workdir) if options.workdir else Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    if options.rebuild_ab:
        from scripts.bench_rebuild import markdown as rebuild_markdown
        from scripts.bench_rebuild import rebuild_ab

        found = [rebuild_ab(b, folder, options.rebuild_ab, options.matters, options.seed, options.rounds,
                            options.baseline_tree) for b in options.backends.split(",")]
        if options.json_out:
            Path(options.json_out).write_text(json.dumps(found, indent=2))
        print(rebuild_markdown(found))
        return 0
    if options.append_ab:
        base = Path(options.record_base).resolve() if options.record_base else None
        found = [append_ab(b, folder, options.append_ab, options.matters, options.seed, options.rounds, base)
                 for b in options.backends.split(",")]
        if options.json_out:
            Path(options.json_out).write_text(json.dumps(found, indent=2))
        print(append_ab_markdown(found))
        return 0
    results: dict[str, Any] = {
        "command": "python scripts/bench.py " + " ".join(argv), "pairs": options.pairs,
        "machine": f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "backends": [],
    }
    for backend in options.backends.split(","):
        web = {"seconds": min(options.web_seconds, 600), "clients": options.web_clients,
               "workers": options.web_workers}
        results["backends"].append(bench_backend(backend, folder, ingest_n, sizes, options.matters, options.seed,
                                                 options.pairs, web))
    print("start-up ...", file=sys.stderr, flush=True)
    results["startup"] = startup(folder)
    if "postgres" in options.backends and options.follow_seconds > 0:
        print("follower lag ...", file=sys.stderr, flush=True)
        matters_file = workload(folder, 2_000, 100, 7).joinpath("matters.yaml")
        results["follow"] = follower_lag(folder, matters_file, 1000, options.follow_seconds)
    if options.json_out:
        Path(options.json_out).write_text(json.dumps(results, indent=2))
    text = markdown(results)
    if options.markdown:
        Path(options.markdown).write_text(text)
    print(text)
    if not options.workdir:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
