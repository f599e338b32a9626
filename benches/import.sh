#!/usr/bin/env bash
# Import benchmark: 100,000 investors (ROWS) from a CSV with Chinese headers into a fresh
# embedded SQLite database through `suitability import investors`, the same workflow as the API
# (each row onboarded, sealed, audited, in its savepoint). Prints the time of the import (target
# ≤ 30 s), of a second run of the same file (every row found and skipped) and of a dry run, in
# the same run on the same file.
#   benches/import.sh          (builds the release binary)
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-100000}"
cargo build --release --quiet
BIN="$PWD/target/release/suitability"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export DATABASE_URL="sqlite://$WORK/bench.db"
export RUST_LOG=warn
"$BIN" token create --name bench-admin --role admin >/dev/null 2>&1
"$BIN" token create --name bench-sales --role sales >/dev/null 2>&1
python3 scripts/book.py investors "$ROWS" "$WORK/investors.csv" --owner bench-sales
timed() {
  local start end
  start=$(date +%s.%N)
  "$BIN" import investors "$WORK/investors.csv" --as bench-admin "$@" >"$WORK/out" 2>&1 || { cat "$WORK/out"; exit 1; }
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.1f}')"
}
DRY=$(timed --dry-run)
FIRST=$(timed)
AGAIN=$(timed)
echo "rows:                 $ROWS ($(du -h "$WORK/investors.csv" | cut -f1) of CSV)"
echo "dry run:              $DRY s"
echo "import:               $FIRST s ($(python3 -c "print(round($ROWS / $FIRST))") rows/s; target ≤ 30 s for 100,000)"
echo "same file again:      $AGAIN s (nothing added)"
tail -1 "$WORK/out"
python3 -c "import sys; sys.exit(0 if $FIRST <= 30 * $ROWS / 100000 else 1)" || { echo "over the target"; exit 1; }
