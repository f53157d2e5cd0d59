#!/usr/bin/env bash
# Benchmark: one scikit-learn model served two ways on loopback, measured with the same load
# generator in one run: `mf serve` (release build) against the stack teams use today, a Flask app
# under gunicorn (sync workers, one per core). Single-instance predictions, as JSON.
#
#   benchmarks/serve.sh [--duration 15] [--connections 32]
#
# The model is the python-model template's (logistic regression on three features), trained and
# bundled by `mf demo`; Flask loads the very same model.py and artifacts from the bundle.
set -euo pipefail
cd "$(dirname "$0")/.."
duration=15
connections=32
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 64 ;;
  esac
done
scripts/setup
command -v wrk >/dev/null || { sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd=sudo; $sudo_cmd apt-get update -qq && $sudo_cmd apt-get install -y -qq wrk >/dev/null; }
swift build -c release --product mf >&2
mf=$(swift build -c release --show-bin-path)/mf
work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

"$mf" demo --path "$work/story" --json > "$work/demo.json"
bundle="$work/story/home/bundles/churn/1.0.1"
export MF_HOME="$work/story/home"

# Flask + gunicorn in an environment with the bundle's pinned packages.
python3 -m venv "$work/flask"
"$work/flask/bin/pip" install -q --disable-pip-version-check -r "$bundle/requirements.lock"
"$work/flask/bin/pip" install -q --disable-pip-version-check flask==3.1.1 gunicorn==23.0.0
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
cores=$(nproc)
(cd "$work" && "$work/flask/bin/gunicorn" -w "$cores" -b 127.0.0.1:18081 --log-level warning app:app) &
"$mf" serve "$bundle" --port 18082 --workers "$cores" > "$work/serve.out" 2>/dev/null &
# One Python worker: adaptive batching gives it twice the instances per call, and the core it
# leaves free goes to the server.
"$mf" serve "$bundle" --port 18083 --workers 1 > "$work/serve1.out" 2>/dev/null &
for _ in $(seq 1 120); do
  curl -sf -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"instances":[{"tenure":2,"contract":"monthly","monthly_charges":95.5}]}' http://127.0.0.1:18081/predict \
    && grep -q listening "$work/serve.out" && grep -q listening "$work/serve1.out" && break
  sleep 1
done

cat > "$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"instances":[{"tenure":2,"contract":"monthly","monthly_charges":95.5}]}'
LUA
run() {  # name url
  wrk -t2 -c"$connections" -d"$duration"s --latency -s "$work/post.lua" "$2" > "$work/$1.txt"
  python3 - "$1" "$work/$1.txt" <<'PY'
import re, sys
name, text = sys.argv[1], open(sys.argv[2]).read()
def ms(label):
    m = re.search(r"^\s*" + label + r"\s+([\d.]+)(us|ms|s)", text, re.M)
    value, unit = float(m.group(1)), m.group(2)
    return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
print(f"{name:28} {rps:10.0f} req/s   p50 {ms('50%'):7.2f} ms   p99 {ms('99%'):7.2f} ms   non-2xx {errors.group(1) if errors else 0}")
PY
}
echo "one instance per request, $connections connections, ${duration}s each, $cores cores shared with wrk" >&2
run "flask+gunicorn (-w $cores)" http://127.0.0.1:18081/predict
run "mf serve (--workers $cores)" http://127.0.0.1:18082/v1/models/churn:predict
curl -s http://127.0.0.1:18082/metrics | grep -E '^mf_batch_size_(sum|count)' | sed 's/{.*}//' >&2
run "mf serve (--workers 1)" http://127.0.0.1:18083/v1/models/churn:predict
curl -s http://127.0.0.1:18083/metrics | grep -E '^mf_batch_size_(sum|count)' | sed 's/{.*}//' >&2
