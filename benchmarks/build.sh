#!/usr/bin/env bash
# Benchmark: the factory's own time in `mf build` of a small Python model plugin.
#
# Makes a model repository (the Python runner and a pure-Python threshold model, no
# requirements, so no virtual environment), then:
#   - cold: a fresh MF_HOME each run; reports the total, the plugin's own build + train +
#     evaluate time (from the session's steps), the worker's start-up (Python + import), and
#     what is left: the factory's overhead;
#   - second: an unchanged tree again (nothing is built or trained; target < 1 s).
#
#   benchmarks/build.sh [--runs 7]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=7
[ "${1:-}" = "--runs" ] && runs=$2

mf=$(scripts/build-release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
mkdir -p "$repo/data"
cp runtimes/python/mf_runner.py "$repo/"
cat > "$repo/model.py" <<'PY'
import json, os
from mf_runner import read_table, accuracy, roc_auc

class Model:
    def train(self, data, artifacts, seed):
        _, rows = read_table(data)
        xs = [float(r[0]) for r in rows]; ys = [int(r[1]) for r in rows]
        self.cut = (max(x for x, y in zip(xs, ys) if y == 0) + min(x for x, y in zip(xs, ys) if y == 1)) / 2
        with open(os.path.join(artifacts, "cut.json"), "w") as f: json.dump(self.cut, f)
        return {"accuracy": accuracy(ys, [int(x > self.cut) for x in xs])}
    def load(self, artifacts):
        with open(os.path.join(artifacts, "cut.json")) as f: self.cut = json.load(f)
    def evaluate(self, data):
        _, rows = read_table(data)
        xs = [float(r[0]) for r in rows]; ys = [int(r[1]) for r in rows]
        return {"accuracy": accuracy(ys, [int(x > self.cut) for x in xs]), "auc": roc_auc(ys, xs)}
    def predict(self, instances):
        return [{"label": int(i["x"] > self.cut)} for i in instances]
PY
printf 'x,y\n1,0\n2,0\n3,1\n4,1\n' > "$repo/data/train.csv"
printf 'x,y\n1.5,0\n3.5,1\n2.6,1\n' > "$repo/data/test.csv"
cat > "$repo/model.yaml" <<'YAML'
name: threshold
runtime: python
train: { data: data/train.csv, seed: 1 }
evaluate: { data: data/test.csv }
schema:
  inputs: [{ name: x, type: double }]
  outputs: [{ name: label, type: int }]
gates: { auc: ">= 0.9" }
examples: [{ x: 1 }, { x: 5 }]
YAML
git -C "$repo" init -q -b master
git -C "$repo" add -A
git -C "$repo" -c user.name=bench -c user.email=bench@example.com commit -qm model

python3 - "$mf" "$repo" "$work" "$runs" <<'PY'
import json, shutil, statistics, subprocess, sys, time, os
mf, repo, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
cold = {"total": [], "plugin": [], "worker start": [], "overhead": []}
for run in range(runs):
    home = os.path.join(work, f"home-{run}")
    start = time.perf_counter()
    out = subprocess.run([mf, "build", "--repo", repo, "--home", home, "--json"], capture_output=True, check=True).stdout
    total = time.perf_counter() - start
    steps = {s["name"]: s["seconds"] for s in json.loads(out)[0]["steps"]}
    plugin = steps["build"] + steps["train"] + steps["evaluate"]
    worker = steps["start"] + steps["describe"]
    cold["total"].append(total); cold["plugin"].append(plugin); cold["worker start"].append(worker)
    cold["overhead"].append(total - plugin - worker)
second = []
home = os.path.join(work, "home-0")
for _ in range(runs):
    start = time.perf_counter()
    subprocess.run([mf, "build", "--repo", repo, "--home", home], capture_output=True, check=True)
    second.append(time.perf_counter() - start)
for name, values in cold.items():
    print(f"cold {name:14s} median {statistics.median(values) * 1000:7.1f} ms")
print(f"second build         median {statistics.median(second) * 1000:7.1f} ms  ({runs} runs each)")
PY
