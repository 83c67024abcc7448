"""Build a big benchmark ledger once, file by file, within the disk it has.

``scripts/bench.py worker ingest`` records a whole workload in one call, which spools every
checked document before the append: for 10M statements that is a second copy of the
workload's 9 GB on disk, beside the workload itself and the ledger (45 GB on
PostgreSQL). This script writes the workload with ``scripts/generate.py`` (seed 42, the
same statements as every other benchmark), records it one statements file (100,000
statements) per ``Ledger.record`` call, deletes each file once it is recorded (unless
``--keep-workload``), then projects everything in one catch-up (the bulk path of a rebuild:
COPY on PostgreSQL, indexes after, ``ANALYZE``). The append goes through the ledger's own
recorder (COPY into the events table and the chain on PostgreSQL), as any ``record`` does.
On PostgreSQL with the default ``shared_buffers`` (128 MB) the events' primary key (random
UUIDs) outgrows the buffers past ~3M statements and each file takes about twice as long:
give the server a few GB while it builds (``ALTER SYSTEM SET shared_buffers``, restart; an
interrupted build goes on with ``--resume``), and put it back before measuring.

    python scripts/build_ledger.py postgresql://postgres@127.0.0.1:5432/keep_pg_10000000 \\
        --statements 10000000 --workdir .bench/build-10m
    python scripts/bench_ledgers.py --ledger pg-10M=postgresql://postgres@127.0.0.1:5432/keep_pg_10000000 --status

The target database must exist and be empty (``createdb`` it first); progress goes to
standard error, one line per file, and a JSON summary to standard output.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate  # noqa: E402  (scripts/generate.py, beside this file)


def build(url: str, statements: int, workdir: Path, matters: int = 1000, seed: int = 42, skewed: bool = False,
          keep_workload: bool = False, batch: int = 1000, files: int | None = None,
          resume: bool = False) -> dict[str, Any]:
    """Generate, record file by file, project; returns the timings."""
    from ledger.application import Ledger
    from ledger.inputs import iter_inputs

    started = time.perf_counter()
    if resume:  # the files an interrupted build left (each deleted once recorded; a call is all or nothing)
        manifest = json.loads((workdir / "manifest.json").read_text(encoding="utf-8"))
    else:
        manifest = generate.write_workload(workdir, matters=matters, statements=statements, seed=seed,
                                           fmt="jsonl", files=files, skewed=skewed)
    generated = time.perf_counter()
    print(f"generated {statements:,} statements in {generated - started:.0f} s", file=sys.stderr)
    paths = [workdir / name for name in manifest["files"]["statements"] if (workdir / name).exists()]
    recorded = 0
    with Ledger(url) as ledger:
        if ledger.app.recorder.max_notification_id() and not resume:
            raise SystemExit(f"{url} already holds events: build into an empty database (or --resume)")
        for index, path in enumerate(paths):
            matter_file = [str(workdir / manifest["files"]["matters"])] if index == 0 else []
            result = ledger.record(iter_inputs(matter_file + [str(path)]), recorded_by="bench", batch_size=batch)
            recorded += result.recorded_count
            if not keep_workload:
                path.unlink()
            elapsed = time.perf_counter() - generated
            print(f"file {index + 1}/{len(paths)}: {recorded:,} statements recorded, {elapsed:.0f} s, "
                  f"{recorded / elapsed:,.0f} statements/s", file=sys.stderr)
        appended = time.perf_counter()
        events = ledger.catch_up()
        projected = time.perf_counter()
    print(f"projected {events:,} events in {projected - appended:.0f} s", file=sys.stderr)
    return {"url": url, "statements": recorded, "events_projected": events, "generate_s": generated - started,
            "record_s": appended - generated, "project_s": projected - appended}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="an empty ledger database (sqlite:///FILE or postgresql://...)")
    parser.add_argument("--statements", type=int, required=True)
    parser.add_argument("--matters", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skewed", action="store_true")
    parser.add_argument("--workdir", type=Path, required=True, help="where the workload is written (must be empty)")
    parser.add_argument("--keep-workload", action="store_true", help="keep each statements file once recorded")
    parser.add_argument("--files", type=int, default=None, help="statements files (default: 100,000 statements each)")
    parser.add_argument("--resume", action="store_true",
                        help="record the files an interrupted build left in --workdir (no new workload)")
    args = parser.parse_args(argv)
    if args.workdir.exists() and any(args.workdir.iterdir()) and not args.resume:
        parser.error(f"{args.workdir} is not empty (--resume to go on with an interrupted build)")
    summary = build(args.url, args.statements, args.workdir, args.matters, args.seed, args.skewed,
                    args.keep_workload, files=args.files, resume=args.resume)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
