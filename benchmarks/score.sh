#!/usr/bin/env bash
# Benchmark: `mf score` against the model's own throughput, in one run (issue 21: at least 90 %).
# The limit is a Python loop in one process that imports the bundle's model.py, loads its
# artifacts and calls predict on the same batches (the same rows, typed, --batch at a time); only
# the predict calls are timed, so reading the CSV is not counted for it. `mf score` is timed
# end to end by the wall clock (starting the workers, reading and checking the CSV, the worker
# protocol, writing the output or the store), and its own rows/s (from its first batch) is shown.
#
#   benchmarks/score.sh [--rows 200000] [--batch 1000] [--workers "1 2"]
#
# MF=/path/to/mf measures another build of mf (default: the release build users install,
# scripts/build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=200000
batch=1000
workers="1 2"
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
mf=${MF:-$(scripts/build-release)}
python=/usr/bin/python3
# The workers run `python3` from PATH: the same interpreter as the limit, so both sides measure
# one Python build (a pyenv build without PGO runs the same model.py 10 to 20 % slower).
export PATH="$(dirname "$python"):$PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MF_HOME="$work/home"

# Two models, each released as v1.0.0 and bundled once: `churn`, a logistic regression (about a
# microsecond a row in predict: the worker protocol's own cost shows), and `forest`, 40 trees of
# depth 5 (tens of microseconds a row, as small real models take). Standard library only.
write_model() {  # name, model.py on stdin
  local repo="$work/$1"
  mkdir -p "$repo"
  cp runtimes/python/mf_runner.py "$repo/"
  cat > "$repo/model.py"
  printf 'tenure,contract,monthly_charges,churned\n1,monthly,70,1\n40,yearly,20,0\n' > "$repo/data.csv"
  cat > "$repo/model.yaml" <<YAML
name: $1
runtime: python
train: { data: data.csv }
evaluate: { data: data.csv }
schema:
  inputs:
    - { name: tenure, type: int, min: 0, max: 120 }
    - { name: contract, type: string, values: [monthly, yearly] }
    - { name: monthly_charges, type: double, min: 0 }
  outputs: [{ name: churn_probability, type: double }, { name: churn, type: int }]
gates: { auc: ">= 0.5" }
examples: [{ tenure: 12, contract: monthly, monthly_charges: 70.5 }]
YAML
  git -C "$repo" init -q -b master
  git -C "$repo" add -A
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -q -m model
  git -C "$repo" -c user.name=bench -c user.email=bench@example.com tag -a -m release v1.0.0
  "$mf" bundle v1.0.0 --repo "$repo" --json > "$work/$1.json"
}
write_model churn <<'PY'
import json, math, os
WEIGHTS = {"tenure": -0.04, "monthly_charges": 0.02, "contract": {"monthly": 0.9, "yearly": -1.1}, "bias": -0.5}
class Model:
    def train(self, data, artifacts, seed):
        with open(os.path.join(artifacts, "weights.json"), "w") as handle: json.dump(WEIGHTS, handle)
        self.w = WEIGHTS
        return {}
    def load(self, artifacts):
        with open(os.path.join(artifacts, "weights.json")) as handle: self.w = json.load(handle)
    def evaluate(self, data): return {"auc": 0.8}
    def predict(self, instances):
        w = self.w
        out = []
        for i in instances:
            z = w["bias"] + w["tenure"] * i["tenure"] + w["monthly_charges"] * i["monthly_charges"] + w["contract"][i["contract"]]
            p = 1 / (1 + math.exp(-z))
            out.append({"churn_probability": p, "churn": int(p >= 0.5)})
        return out
PY
write_model forest <<'PY'
import json, math, os, random
def grow(rng, depth):
    if depth == 0: return rng.uniform(-1, 1)
    feature = rng.randrange(3)
    cut = [rng.uniform(0, 72), rng.uniform(18, 120), 0.5][feature]
    return [feature, cut, grow(rng, depth - 1), grow(rng, depth - 1)]
class Model:
    def train(self, data, artifacts, seed):
        rng = random.Random(seed)
        self.trees = [grow(rng, 5) for _ in range(40)]
        with open(os.path.join(artifacts, "trees.json"), "w") as handle: json.dump(self.trees, handle)
        return {}
    def load(self, artifacts):
        with open(os.path.join(artifacts, "trees.json")) as handle: self.trees = json.load(handle)
    def evaluate(self, data): return {"auc": 0.8}
    def predict(self, instances):
        out = []
        for i in instances:
            x = (i["tenure"], i["monthly_charges"], 1.0 if i["contract"] == "monthly" else 0.0)
            z = 0.0
            for node in self.trees:
                while isinstance(node, list): node = node[2] if x[node[0]] < node[1] else node[3]
                z += node
            p = 1 / (1 + math.exp(-z))
            out.append({"churn_probability": p, "churn": int(p >= 0.5)})
        return out
PY

# The input: $rows customers.
"$python" - "$rows" "$work/customers.csv" <<'PY'
import random, sys
rows, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(7)
with open(path, "w") as out:
    out.write("customer_id,tenure,contract,monthly_charges\n")
    for n in range(rows):
        out.write(f"c{n:07d},{rng.randint(0, 72)},{rng.choice(['monthly', 'yearly'])},{rng.uniform(18, 120):.2f}\n")
PY
echo "$rows rows ($(du -h "$work/customers.csv" | cut -f1)), batches of $batch, $(nproc) cores; load: $(uptime | sed 's/.*load average: //')" >&2

now() { date +%s.%N; }
for model in churn forest; do
  bundle=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["path"])' "$work/$model.json")
  # The limit: the model's own predict on the same batches, in one Python process.
  limit=$("$python" - "$bundle" "$work/customers.csv" "$batch" <<'PY'
import csv, sys, time
bundle, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, bundle + "/plugin")
from model import Model
model = Model()
model.load(bundle + "/artifacts")
with open(path, newline="") as handle:
    rows = [{"tenure": int(r["tenure"]), "contract": r["contract"], "monthly_charges": float(r["monthly_charges"])} for r in csv.DictReader(handle)]
batches = [rows[i:i + size] for i in range(0, len(rows), size)]
start = time.perf_counter()
for batch in batches: model.predict(batch)
seconds = time.perf_counter() - start
print(f"{len(rows) / seconds:.0f}")
PY
  )
  echo "-- $model" >&2
  printf '%-48s %10s rows/s\n' "$model: model.py predict loop (the limit)" "$limit"
  score() {  # label, then mf score's arguments after the input
    local label=$1; shift
    local start end
    start=$(now)
    "$mf" score "$model@1.0.0" --input "$work/customers.csv" --key customer_id --batch "$batch" --json "$@" > "$work/summary.json" 2> "$work/score.err" \
      || { cat "$work/score.err" >&2; exit 1; }
    end=$(now)
    "$python" - "$label" "$start" "$end" "$rows" "$limit" "$work/summary.json" <<'PY'
import json, sys
label, start, end, rows, limit, path = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6]
summary = json.load(open(path))
assert summary["rowsScored"] == rows, summary
wall = rows / (end - start)
print(f"{label:48} {wall:10.0f} rows/s  {wall / limit:7.1%} of the limit  (mf's own rate {summary['rowsPerSecond']:.0f} rows/s, {end - start:.2f} s wall)")
PY
  }
  for n in $workers; do
    score "$model: mf score -> CSV file (--workers $n)" --workers "$n" --output "$work/scores-$n.csv"
    score "$model: mf score -> JSON Lines file (--workers $n)" --workers "$n" --output "$work/scores-$n.jsonl"
    score "$model: mf score -> the store (--workers $n)" --workers "$n"
  done
done
echo "load at the end: $(uptime | sed 's/.*load average: //')" >&2
