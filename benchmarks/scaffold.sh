#!/usr/bin/env bash
# Benchmark: `mf scaffold python-model --no-input` against `cookiecutter --no-input` on the same
# template, in one run with hyperfine (medians over --runs runs, after warm-ups). Both render the
# same files; `mf scaffold --no-git` is the like-for-like job, and plain `mf scaffold` adds the git
# repository (first commits on master and development) that cookiecutter does not make.
#
#   benchmarks/scaffold.sh [--runs 20]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
[ "${1:-}" = "--runs" ] && runs=$2

scripts/setup
command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null 2>&1 || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }; }
swift build -c release --product mf >&2
mf=$(swift build -c release --show-bin-path)/mf
cookiecutter=$PWD/.build-tools/venv/bin/cookiecutter
template=$PWD/templates/python-model
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MF_HOME="$work/home" HOME="$work"

hyperfine --warmup 3 --runs "$runs" --style basic --export-json "$work/results.json" \
  --prepare "rm -rf $work/out" \
  -n "cookiecutter --no-input" "$cookiecutter --no-input --default-config -o $work/out $template" \
  -n "mf scaffold --no-input --no-git" "$mf scaffold $template --no-input --no-git -o $work/out" \
  -n "mf scaffold --no-input (with git)" "$mf scaffold $template --no-input -o $work/out" >&2

python3 - "$work/results.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
reference = results[0]["median"]
print(f"{'command':36} {'median':>10} {'min':>10} {'speed-up':>9}")
for r in results:
    print(f"{r['command']:36} {r['median']*1000:8.1f}ms {r['min']*1000:8.1f}ms {reference / r['median']:8.1f}x")
PY
