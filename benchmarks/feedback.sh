#!/usr/bin/env bash
# Benchmark: feedback ingestion, `mf feedback` straight into the store (DESIGN.md "Production loop").
#
# Makes a fresh MF_HOME whose prediction log holds 100,000 predictions of one model (written with
# Python's sqlite3 into the schema mf made), then times `mf feedback` on a CSV of 100,000 labels,
# one per logged prediction (all join), and prints labels per second (goal: at least 10,000).
# Each run starts from the same store (labels of earlier runs removed); the median is reported.
#
#   benchmarks/feedback.sh [--runs 5] [--labels 100000]
#
# MF=/path/to/mf times another build of mf (default: the one users install, scripts/build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
labels=100000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --labels) labels=$2; shift 2 ;;
    *) echo "usage: benchmarks/feedback.sh [--runs N] [--labels N]" >&2; exit 64 ;;
  esac
done
if [ -z "${MF:-}" ]; then
  MF=$(scripts/build-release)
fi
mf=$MF
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
home="$work/home"

# The store's schema, as mf makes it: one (empty) feedback run creates and migrates it.
printf 'id,label\n' > "$work/empty.csv"
"$mf" feedback --model churn --input "$work/empty.csv" --home "$home" --json > /dev/null

python3 - "$home/factory.sqlite" "$work/labels.csv" "$labels" <<'PY'
import sqlite3, sys
path, csv_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = sqlite3.connect(path)
# GRDB's date text: UTC, milliseconds.
db.executemany(
    "INSERT INTO predictions (model, version, id, repository, time, inputs, outputs) VALUES (?, ?, ?, NULL, ?, ?, ?)",
    (("churn", "1.0.0", f"customer-{i}", "2026-01-01 00:00:00.000", f'{{"tenure":{i % 72},"plan":"basic"}}', '{"churn_probability":0.25}')
     for i in range(count)))
db.commit()
with open(csv_path, "w") as out:
    out.write("id,label\n")
    for i in range(count):
        out.write(f"customer-{i},{i % 2}\n")
PY

python3 - "$mf" "$home" "$work/labels.csv" "$labels" "$runs" <<'PY'
import json, sqlite3, statistics, subprocess, sys, time
mf, home, labels_csv, count, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
seconds = []
for run in range(runs):
    db = sqlite3.connect(home + "/factory.sqlite")
    db.execute("DELETE FROM labels")
    db.commit()
    db.close()
    started = time.perf_counter()
    out = subprocess.run([mf, "feedback", "--model", "churn", "--input", labels_csv, "--home", home, "--json"],
                         check=True, capture_output=True, text=True).stdout
    seconds.append(time.perf_counter() - started)
    counts = json.loads(out)
    assert counts["received"] == count and counts["joined"] == count, counts
median = statistics.median(seconds)
print(f"mf feedback: {count:,} labels against {count:,} logged predictions, {runs} runs")
print(f"  median {median:.3f} s (min {min(seconds):.3f} s): {count / median:,.0f} labels/s (goal: at least 10,000)")
PY
