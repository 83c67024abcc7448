#!/usr/bin/env bash
# Make the README's chart (docs/chart.png) and report screenshot (docs/report.png) from
# the bundled example, in a scratch ledger. Needs `make install` and Debian's chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export LEDGER_DB="sqlite:///$scratch/example.db"
LEDGER=.venv/bin/ledger

$LEDGER record examples/indians-in-russian-army/ --by analyst
$LEDGER plot --as-of 2025-12-31 --output docs/chart.png
$LEDGER report --as-of 2025-12-31 --output "$scratch/report.html"
# The top of the report (status, discrepancies, chart) as the browser shows it.
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync --hide-scrollbars \
    --user-data-dir="$scratch/chromium" --window-size=1280,2050 \
    --screenshot=docs/report.png "file://$scratch/report.html" 2>/dev/null
ls -l docs/chart.png docs/report.png
