# Claims Ledger: `make demo` runs the main job, `make test` the whole suite.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
LEDGER  = $(BIN)/ledger
DEMO_DB ?= sqlite:///ledger.db

.PHONY: install demo test schemas bench bench-full bench-10m clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

demo: install
	$(LEDGER) --db $(DEMO_DB) record examples/indians-in-russian-army/
	@for day in 2025-02-15 2025-08-15 2025-11-30; do \
		echo; $(LEDGER) --db $(DEMO_DB) status --as-of $$day || exit $$?; \
	done

test: install
	$(BIN)/python -m pytest -q

schemas: install
	$(BIN)/python scripts/make_schemas.py

# Benchmarks (see BENCHMARKS.md): a reduced run of a few minutes, and the full one.
BENCH_DIR ?= .bench
bench: install
	$(BIN)/python scripts/bench.py --workdir $(BENCH_DIR) --json $(BENCH_DIR)/bench.json --markdown $(BENCH_DIR)/bench.md

bench-full: install
	$(BIN)/python scripts/bench.py --full --workdir $(BENCH_DIR) --json $(BENCH_DIR)/bench-full.json --markdown $(BENCH_DIR)/bench-full.md

# Status at 10M statements on PostgreSQL: the ledger is built once (about 45 min and 45 GB here; give the server shared_buffers of a few GB while it builds) and kept.
PG_10M ?= postgresql://postgres@127.0.0.1:5432/keep_pg_10000000
bench-10m: install
	@if ! psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'keep_pg_10000000'" | grep -q 1; then \
		createdb -h 127.0.0.1 -U postgres keep_pg_10000000 && rm -rf $(BENCH_DIR)/build-10m && \
		$(BIN)/python scripts/build_ledger.py $(PG_10M) --statements 10000000 --workdir $(BENCH_DIR)/build-10m; fi
	$(BIN)/python scripts/bench_ledgers.py --ledger pg-10M=$(PG_10M) --status --json $(BENCH_DIR)/bench-10m.json --markdown $(BENCH_DIR)/bench-10m.md

clean:
	rm -rf $(VENV) $(BENCH_DIR) ledger.db ledger.db-wal ledger.db-shm .pytest_cache *.egg-info
