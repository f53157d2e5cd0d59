#!/usr/bin/env bash
# Benchmark: `mf validate` (the check the session's validate step runs) on a ~1 GB CSV.
#
# Generates a CSV of churn-like rows (customer_id unique, tenure, contract, monthly_charges,
# churned) into a temporary folder, then runs under /usr/bin/time -v, in one run:
#   - wc -l on the file: the floor of reading it once;
#   - mf validate with every column rule but no key (one streamed pass);
#   - mf validate with `unique: [customer_id]` too (keys spill to a temporary SQLite table).
# Prints each one's peak RSS (target < 500 MB for mf) and MB/s.
#
#   benchmarks/validate.sh [--mb 1000]      (MF=path/to/mf to time another build of mf)
set -euo pipefail
cd "$(dirname "$0")/.."
megabytes=1000
[ "${1:-}" = "--mb" ] && megabytes=$2

mf=${MF:-$(scripts/build-release)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# About 31 bytes a row. The ids are a permutation of 0..rows-1 (i * 1000003 mod rows, the
# multiplier a prime that does not divide rows), so keys arrive in no order, as real keys do.
rows=$((megabytes * 1000000 / 31))
[ $((rows % 1000003)) -eq 0 ] && rows=$((rows + 1))
awk -v rows="$rows" 'BEGIN {
    srand(7)
    print "customer_id,tenure,contract,monthly_charges,churned"
    split("monthly,yearly,two_year", contracts, ",")
    for (i = 0; i < rows; i++) {
        printf "C%09d,%d,%s,%.2f,%d\n", (i * 1000003) % rows, int(rand() * 120), contracts[1 + int(rand() * 3)], 20 + rand() * 100, rand() < 0.25
    }
}' > "$work/data.csv"
bytes=$(stat -c %s "$work/data.csv")

model() {  # model.yaml with the column rules, and a key when $2 is "key"
    mkdir -p "$1"
    cat > "$1/model.yaml" <<YAML
name: churn
runtime: python
train: { data: data.csv }
evaluate: { data: data.csv }
schema:
  inputs: [{ name: tenure, type: int }, { name: contract, type: string }, { name: monthly_charges, type: double }]
  outputs: [{ name: churn_probability, type: double }]
expect:
  rows: ">= 500"
$([ "$2" = key ] && echo "  unique: [customer_id]")
  columns:
    tenure:          { type: int, min: 0, max: 120, missing: "<= 0.01" }
    contract:        { values: [monthly, yearly, two_year] }
    monthly_charges: { type: double, min: 0 }
    churned:         { type: int, min: 0, max: 1 }
YAML
}
model "$work/columns" columns
model "$work/key" key

measure() {  # label, command…: prints peak RSS and MB/s
    local label=$1
    shift
    /usr/bin/time -v "$@" > "$work/out" 2> "$work/time" || { echo "$label failed:"; cat "$work/time"; exit 1; }
    python3 - "$label" "$bytes" "$work/time" <<'PY'
import re, sys
label, size, text = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read()
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
clock = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", text).group(1).split(":")
seconds = max(0.01, sum(float(part) * 60 ** index for index, part in enumerate(reversed(clock))))
print(f"{label:<34} {seconds:8.1f} s {size / 1e6 / seconds:8.1f} MB/s {rss:8.1f} MB peak RSS")
PY
}

echo "file: $((bytes / 1000000)) MB, $rows rows"
measure "wc -l (reading floor)" wc -l "$work/data.csv"
measure "mf validate (columns)" "$mf" validate "$work/columns" --data "$work/data.csv" --json
grep -q '"passed": true' "$work/out" || { echo "mf validate (columns) did not pass:"; head -c 2000 "$work/out"; exit 1; }
measure "mf validate (columns + unique key)" "$mf" validate "$work/key" --data "$work/data.csv" --json
grep -q '"passed": true' "$work/out" || { echo "mf validate (key) did not pass:"; head -c 2000 "$work/out"; exit 1; }
