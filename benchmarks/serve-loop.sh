#!/usr/bin/env bash
# Benchmark: what the production loop costs `mf serve` (issue 18: throughput with logging and drift
# on at least 90 % of the same run with them off). One pure-Python threshold model (no
# requirements), bundled by `mf bundle` (with its training profile), served twice at once: with the
# loop at its defaults (every instance logged, flushed to the store every second; drift over a
# window of 1,000) and with `--log-sample 0 --drift-window 0` (ids only, nothing logged, no drift).
# wrk sends single-instance JSON predictions to each in turn, alternating, so both see the same
# moments of a busy machine; prints requests/s of each round and the median ratio.
#
#   benchmarks/serve-loop.sh [--duration 10] [--rounds 3] [--connections 16]
#
# MF=/path/to/mf measures another build of mf (default: the one users install, scripts/build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
duration=10
rounds=3
connections=16
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "usage: benchmarks/serve-loop.sh [--duration S] [--rounds N] [--connections N]" >&2; exit 64 ;;
  esac
done
command -v wrk >/dev/null || { echo "serve-loop: needs wrk (apt-get install wrk)" >&2; exit 1; }
if [ -z "${MF:-}" ]; then
  MF=$(scripts/build-release)
fi
mf=$MF
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

repo="$work/repo"
mkdir -p "$repo"
cp runtimes/python/mf_runner.py "$repo/"
cat > "$repo/model.py" <<'PY'
class Model:
    cut = 2.5
    def train(self, data, artifacts, seed): return {}
    def load(self, artifacts): self.cut = 2.5
    def evaluate(self, data): return {"auc": 1.0}
    def predict(self, instances): return [{"label": int(i["x"] > self.cut)} for i in instances]
PY
python3 -c "
import random
random.seed(1)
print('customer,x,y')
for i in range(1000):
    x = random.uniform(0, 5)
    print(f'c-{i},{x:.3f},{int(x > 2.5)}')
" > "$repo/data.csv"
cat > "$repo/model.yaml" <<'YAML'
name: threshold
runtime: python
train: { data: data.csv }
evaluate: { data: data.csv }
schema:
  inputs: [{ name: customer, type: string }, { name: x, type: double }]
  outputs: [{ name: label, type: int }]
gates: { auc: ">= 0.9" }
examples: [{ customer: c0, x: 1 }]
YAML
git -C "$repo" init -q -b master
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -qm model
git -C "$repo" -c user.name=bench -c user.email=bench@example.com tag -a -m release v1.0.0
bundle=$("$mf" bundle v1.0.0 --repo "$repo" --home "$work/home" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["path"])')

"$mf" serve "$bundle" --home "$work/home" --port 18092 --workers 2 > /dev/null 2> "$work/on.log" &
"$mf" serve "$bundle" --home "$work/home-off" --port 18093 --workers 2 --log-sample 0 --drift-window 0 > /dev/null 2> "$work/off.log" &
for port in 18092 18093; do
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$port/v2/health/ready" > /dev/null && break; sleep 0.1; done
done
cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances": [{"customer": "c-1042", "x": 3.5}]}'
LUA
rate() { wrk -t2 -c"$connections" -d"$duration"s -s "$work/post.lua" "http://127.0.0.1:$1/v1/models/threshold:predict" | awk '/Requests\/sec/ {print $2}'; }
echo "single-instance predictions, $connections connections, ${duration}s per run; load: $(uptime | sed 's/.*load average: //')" >&2
ratios=()
for round in $(seq "$rounds"); do
  off=$(rate 18093)
  on=$(rate 18092)
  ratio=$(python3 -c "print(f'{$on / $off:.3f}')")
  ratios+=("$ratio")
  echo "round $round: loop on (defaults) $on req/s, loop off (--log-sample 0 --drift-window 0) $off req/s, on/off $ratio"
done
logged=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT COUNT(*) FROM predictions').fetchone()[0])" "$work/home/factory.sqlite")
window=$(curl -s http://127.0.0.1:18092/v2/models/threshold/stats | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["window"], "instances, x PSI", s["fields"][1]["psi"])')
echo "drift window of the loop-on server: $window"
echo "median on/off: $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}') (goal: at least 0.9); predictions logged: $logged"
