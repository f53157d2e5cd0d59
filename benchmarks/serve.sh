#!/usr/bin/env bash
# Benchmark: one scikit-learn model served several ways on loopback, measured with the same load
# generator in one run: `mf serve` (release build) against the stacks teams use today, a Flask app
# under gunicorn (sync workers, one per core) and BentoML (one worker per core), plain and with its
# adaptive batching. Single-instance predictions, as JSON, at 16 and at 32 connections.
#
#   benchmarks/serve.sh [--duration 15] [--connections "16 32"]
#
# The model is the python-model template's (logistic regression on three features), trained and
# bundled by `mf demo`; Flask and BentoML (benchmarks/bentoml_service.py) load the very same
# model.py and artifacts from the bundle.
#
# `mf serve` runs with its defaults, so with the production loop on (every prediction logged to
# the store, drift over a window of 1,000), and once more with it off (--log-sample 0
# --drift-window 0), to show what the loop costs.
#
# MF=/path/to/mf measures another build of mf (default: the one users install, scripts/build-release).
# MF_BASELINE=/path/to/mf also measures that build, each load right after the same load of MF, so
# a before/after pair comes from the same moment of a busy machine.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=15
connections="16 32"
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
scripts/setup
command -v wrk >/dev/null || { sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo; $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq wrk >/dev/null; }
if [ -z "${MF:-}" ]; then
  MF=$(scripts/build-release)
fi
mf=$MF
baseline=${MF_BASELINE:-}
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$mf" demo --path "$work/story" --json > "$work/demo.json"
bundle="$work/story/home/bundles/churn/1.0.1"
export MF_HOME="$work/story/home"
cores=$(nproc)

# Flask + gunicorn, and BentoML, each in an environment with the bundle's pinned packages.
python3 -m venv "$work/flask"
"$work/flask/bin/pip" install -q --disable-pip-version-check -r "$bundle/requirements.lock"
"$work/flask/bin/pip" install -q --disable-pip-version-check flask==3.1.1 gunicorn==23.0.0
python3 -m venv "$work/bento"
"$work/bento/bin/pip" install -q --disable-pip-version-check -r "$bundle/requirements.lock"
"$work/bento/bin/pip" install -q --disable-pip-version-check bentoml==1.4.40
cat > "$work/app.py" <<PY
import sys
sys.path.insert(0, "$bundle/plugin")
from flask import Flask, jsonify, request
from model import Model
model = Model()
model.load("$bundle/artifacts")
app = Flask(__name__)
@app.post("/predict")
def predict():
    return jsonify({"predictions": model.predict(request.get_json()["instances"])})
PY
cp benchmarks/bentoml_service.py "$work/"

# (exec: the job is the server itself, so the cleanup's SIGTERM reaches it and it stops its workers.)
(cd "$work" && exec "$work/flask/bin/gunicorn" -w "$cores" -b 127.0.0.1:18081 --log-level warning app:app) &
(cd "$work" && MF_BUNDLE="$bundle" BENTO_WORKERS="$cores" exec "$work/bento/bin/bentoml" serve bentoml_service:Plain --port 18084 > "$work/bento-plain.log" 2>&1) &
(cd "$work" && MF_BUNDLE="$bundle" BENTO_WORKERS="$cores" exec "$work/bento/bin/bentoml" serve bentoml_service:Batched --port 18085 > "$work/bento-batched.log" 2>&1) &
"$mf" serve "$bundle" --port 18082 --workers "$cores" > "$work/serve.out" 2>/dev/null &
# One Python worker: adaptive batching gives it twice the instances per call, and the core it
# leaves free goes to the server.
"$mf" serve "$bundle" --port 18083 --workers 1 > "$work/serve1.out" 2>/dev/null &
# The production loop (prediction log, drift) is on by default; this one has it off, to show its cost.
"$mf" serve "$bundle" --port 18088 --workers "$cores" --log-sample 0 --drift-window 0 --home "$work/home-off" > "$work/serve-off.out" 2>/dev/null &
outs=("$work/serve.out" "$work/serve1.out" "$work/serve-off.out")
if [ -n "$baseline" ]; then
  # The baseline serves a bundle it made itself (an older mf may not read a newer bundle.json).
  "$baseline" demo --path "$work/story-base" --json > /dev/null
  base_bundle="$work/story-base/home/bundles/churn/1.0.1"
  MF_HOME="$work/story-base/home" "$baseline" serve "$base_bundle" --port 18086 --workers "$cores" > "$work/base.out" 2>/dev/null &
  MF_HOME="$work/story-base/home" "$baseline" serve "$base_bundle" --port 18087 --workers 1 > "$work/base1.out" 2>/dev/null &
  outs+=("$work/base.out" "$work/base1.out")
fi
body='{"instances":[{"tenure":2,"contract":"monthly","monthly_charges":95.5}]}'
up() { curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d "$body" "$1"; }
for _ in $(seq 1 180); do
  ready=1
  for url in http://127.0.0.1:18081/predict http://127.0.0.1:18084/predict http://127.0.0.1:18085/predict; do up "$url" || ready=0; done
  for out in "${outs[@]}"; do grep -q listening "$out" || ready=0; done
  [ $ready = 1 ] && break
  sleep 1
done
[ $ready = 1 ] || { echo "a server did not start; BentoML's logs:" >&2; tail -n 20 "$work"/bento-*.log "${outs[@]}" >&2; exit 1; }

cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$body'
LUA
run() {  # name url connections
  wrk -t2 -c"$3" -d"$duration"s --latency -s "$work/post.lua" "$2" > "$work/run.txt"
  python3 - "$1" "$3" "$work/run.txt" <<'PY' | tee -a "$work/results.txt"
import re, sys
name, connections, text = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
total = int(re.search(r"(\d+) requests in", text).group(1))
errors = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or re.search("()", "")).group(1) or 0)
# Answered: requests/s less the refused ones (BentoML's batching sheds load with 503s).
print(f"{connections}\t{name:32} {rps:10.0f} req/s   p50 {ms('50%'):7.2f} ms   p99 {ms('99%'):7.2f} ms   non-2xx {errors}   answered {rps * (total - errors) / max(total, 1):.0f}/s")
PY
}
batches() { curl -s "http://127.0.0.1:$1/metrics" | grep -E '^mf_batch_size_(sum|count)' | sed 's/{.*}//' | tr '\n' ' ' >&2; echo >&2; }
echo "one instance per request, ${duration}s each, $cores cores shared with wrk; load: $(uptime | sed 's/.*load average: //')" >&2
for c in $connections; do
  echo "-- $c connections" >&2
  run "flask+gunicorn (-w $cores)" http://127.0.0.1:18081/predict "$c"
  run "bentoml (workers $cores)" http://127.0.0.1:18084/predict "$c"
  run "bentoml batching (workers $cores)" http://127.0.0.1:18085/predict "$c"
  run "mf serve (--workers $cores)" http://127.0.0.1:18082/v1/models/churn:predict "$c"
  batches 18082
  run "mf serve loop off (--workers $cores)" http://127.0.0.1:18088/v1/models/churn:predict "$c"
  [ -n "$baseline" ] && { run "baseline mf (--workers $cores)" http://127.0.0.1:18086/v1/models/churn:predict "$c"; batches 18086; }
  run "mf serve (--workers 1)" http://127.0.0.1:18083/v1/models/churn:predict "$c"
  batches 18083
  [ -n "$baseline" ] && { run "baseline mf (--workers 1)" http://127.0.0.1:18087/v1/models/churn:predict "$c"; batches 18087; }
done
echo "load at the end: $(uptime | sed 's/.*load average: //')" >&2
# mf serve's default against the best of Flask and BentoML, at each number of connections.
python3 - "$work/results.txt" <<'PY' >&2
import re, sys
rows = [line.rstrip("\n").split("\t", 1) for line in open(sys.argv[1])]
for connections in dict.fromkeys(c for c, _ in rows):
    def rps(prefix):
        found = [float(re.search(r"answered ([\d.]+)/s", r).group(1)) for c, r in rows if c == connections and r.startswith(prefix)]
        return found[0] if found else None
    others = [v for v in (rps("flask"), rps("bentoml (")) + (rps("bentoml batching"),) if v]
    best = max(others)
    for name in ("mf serve (--workers", "baseline mf (--workers"):
        for c, r in rows:
            if c == connections and r.startswith(name):
                label, value = r.split("  ")[0].strip(), float(re.search(r"answered ([\d.]+)/s", r).group(1))
                print(f"{connections} connections: {label:32} {value / best:5.2f}x the best of Flask and BentoML ({best:.0f} answered/s)")
    on, off = rps("mf serve (--workers"), rps("mf serve loop off")
    if on and off:
        print(f"{connections} connections: mf serve with the loop on (log, drift) {on / off:5.2f}x the same with it off")
PY
