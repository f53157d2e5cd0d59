#!/usr/bin/env bash
# Benchmark: `mf scaffold --no-input` against `cookiecutter --no-input` on a template with a
# Python `pre_gen_project` hook, in one hyperfine run (medians over --runs runs, after warm-ups).
#
# Two templates, both the built-in python-model with a typical pre_gen_project.py (it checks the
# slug, as many cookiecutter templates do): as it is (14 files), and a larger one with 200 more
# rendered files in 20 folders. Beside them, the same hook rendered and run alone with python3
# (its process's spawn to exit), so mf's own time is its total less the hook's. `mf scaffold`
# also makes the git repository (first commits on master and development) that cookiecutter
# does not; `--no-git` is the like-for-like job.
#
#   benchmarks/scaffold.sh [--runs 30]
#
# MF=/path/to/mf times another build of mf (default: the one users install, scripts/build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=30
[ "${1:-}" = "--runs" ] && runs=$2

scripts/setup
command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null 2>&1 || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }; }
if [ -z "${MF:-}" ]; then
  MF=$(scripts/build-release)
fi
mf=$MF
cookiecutter=$PWD/.build-tools/venv/bin/cookiecutter
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MF_HOME="$work/home" HOME="$work"

# The templates: python-model with a pre_gen_project hook, and a larger copy of it.
hook='import re
import sys

SLUG = "{{ cookiecutter.model_slug }}"
if not re.match(r"^[a-z][a-z0-9_]*$", SLUG):
    print(f"ERROR: {SLUG!r} is not a valid Python module name", file=sys.stderr)
    sys.exit(1)
'
mkdir -p "$work/templates"
small=$work/templates/python-model-hooked
cp -R templates/python-model "$small"
mkdir -p "$small/hooks"
printf '%s' "$hook" > "$small/hooks/pre_gen_project.py"
large=$work/templates/python-model-large
cp -R "$small" "$large"
for folder in $(seq 1 20); do
  dir="$large/{{cookiecutter.model_slug}}/src/part_$folder"
  mkdir -p "$dir"
  for file in $(seq 1 10); do
    printf '"""Part %s.%s of {{ cookiecutter.model_name }}."""\n\nSEED = {{ cookiecutter.seed }}\n\n\ndef feature_%s(row):\n    return row.get("tenure", 0) * %s\n' \
      "$folder" "$file" "$file" "$file" > "$dir/module_$file.py"
  done
done
# The hook as python-model renders it (model_slug "churn"), to time on its own.
mkdir -p "$work/hook-alone"
printf '%s' "${hook//\{\{ cookiecutter.model_slug \}\}/churn}" > "$work/hook-alone/pre_gen_project.py"

hyperfine -N --warmup 3 --runs "$runs" --style basic --export-json "$work/results.json" \
  --prepare "rm -rf $work/out" \
  -n "cookiecutter --no-input" "$cookiecutter --no-input --default-config -o $work/out $small" \
  -n "mf scaffold --no-input --no-git" "$mf scaffold $small --no-input --no-git -o $work/out" \
  -n "mf scaffold --no-input (with git)" "$mf scaffold $small --no-input -o $work/out" \
  -n "the hook alone (python3 pre_gen_project.py)" "python3 $work/hook-alone/pre_gen_project.py" \
  -n "cookiecutter --no-input (large)" "$cookiecutter --no-input --default-config -o $work/out $large" \
  -n "mf scaffold --no-input (large, with git)" "$mf scaffold $large --no-input -o $work/out" >&2

python3 - "$work/results.json" "$runs" <<'PY'
import json, sys
raw = json.load(open(sys.argv[1]))["results"]
results = {r["command"]: r["median"] * 1000 for r in raw}
least = {r["command"]: r["min"] * 1000 for r in raw}
name = "the hook alone (python3 pre_gen_project.py)"
hook, hook_min = results[name], least[name]
print(f"medians (and minimums) of {sys.argv[2]} runs; the hook alone: {hook:.1f} ms (min {hook_min:.1f})")
print(f"{'command':40} {'median':>9} {'min':>9} {'mf own: median less the hook':>30} {'vs cookiecutter':>16}")
for name, reference in (("mf scaffold --no-input --no-git", "cookiecutter --no-input"),
                        ("mf scaffold --no-input (with git)", "cookiecutter --no-input"),
                        ("mf scaffold --no-input (large, with git)", "cookiecutter --no-input (large)")):
    print(f"{name:40} {results[name]:6.1f} ms {least[name]:6.1f} ms {results[name] - hook:24.1f} ms (min {least[name] - hook_min:.1f}) {results[reference] / results[name]:6.1f}x")
for name in ("cookiecutter --no-input", "cookiecutter --no-input (large)"):
    print(f"{name:40} {results[name]:6.1f} ms {least[name]:6.1f} ms")
PY
