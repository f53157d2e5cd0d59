#!/usr/bin/env bash
# Benchmark: `mf reconcile` on a repository whose 100 release tags are all bundled already (the
# common case: a push that changes nothing the factory owns). Target: under 300 ms, on SQLite and
# on PostgreSQL (the same run times both).
#
# The model is a small pure-Python plugin (no requirements); the 100 tags sit on 100 commits of
# master with the same tree, so the first reconcile trains once and reuses that session for the
# other 99 bundles. Then hyperfine times the reconcile that has nothing to do, and the time to
# bundle one more release whose session is recorded, against copying and hashing its files.
#
#   benchmarks/reconcile.sh [--runs 20]
#
# MF=/path/to/mf times another build of mf (default: the one users install, scripts/build-release);
# run it twice back to back to compare two builds.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=20
[ "${1:-}" = "--runs" ] && runs=$2
mf=${MF:-$(scripts/build-release)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MF_HOME="$work/home"
repo="$work/repo"
git init -q -b master "$repo"
cp runtimes/python/mf_runner.py "$repo/"
cat > "$repo/model.py" <<'PY'
import os, random
class Model:
    def train(self, data, artifacts, seed):
        with open(os.path.join(artifacts, "weights.txt"), "w") as handle: handle.write("1\n")
        # A release with size.txt gets that many bytes of weights (seeded, so reproducible).
        if os.path.exists("size.txt"):
            with open(os.path.join(artifacts, "weights.bin"), "wb") as handle:
                handle.write(random.Random(seed).randbytes(int(open("size.txt").read())))
        return {}
    def load(self, artifacts): pass
    def evaluate(self, data): return {"auc": 1.0}
    def predict(self, instances): return [{"y": 1} for _ in instances]
PY
printf 'x,y\n1,1\n' > "$repo/data.csv"
printf 'name: bench\nruntime: python\ntrain: { data: data.csv }\nevaluate: { data: data.csv }\nschema: { inputs: [{ name: x, type: double }], outputs: [{ name: y, type: int }] }\ngates: { auc: ">= 0.5" }\nexamples: [{ x: 1 }]\n' > "$repo/model.yaml"
git -C "$repo" add -A
git -C "$repo" -c user.name=b -c user.email=b@b commit -qm model
for i in $(seq 1 100); do
  git -C "$repo" -c user.name=b -c user.email=b@b commit -q --allow-empty -m "release $i"
  git -C "$repo" tag "v1.$i.0"
done
start=$(date +%s.%N)
"$mf" reconcile --repo "$repo" >/dev/null
echo "first reconcile (100 bundles, one training): $(echo "$(date +%s.%N) - $start" | bc) s" >&2
# The same repository on PostgreSQL (a throwaway cluster, scripts/postgres-cluster), from a home
# of its own: the no-op reconcile on both stores in one hyperfine run.
pg=$(scripts/postgres-cluster start "$work/pg")
trap 'scripts/postgres-cluster stop "$work/pg" >/dev/null 2>&1; rm -rf "$work"' EXIT
start=$(date +%s.%N)
"$mf" reconcile --repo "$repo" --home "$work/pghome" --store "$pg" >/dev/null
echo "first reconcile on PostgreSQL: $(echo "$(date +%s.%N) - $start" | bc) s" >&2
hyperfine --warmup 3 --runs "$runs" --style basic --export-json "$work/reconcile.json" \
  -n "mf reconcile (100 tags, all bundled), SQLite" "$mf reconcile --repo $repo" \
  -n "mf reconcile (100 tags, all bundled), PostgreSQL" "$mf reconcile --repo $repo --home $work/pghome --store $pg" >&2

# One more release whose session is recorded: bundle it, against copying and hashing its files.
git -C "$repo" -c user.name=b -c user.email=b@b commit -q --allow-empty -m "release 101"
git -C "$repo" tag v2.0.0
"$mf" build v2.0.0 --repo "$repo" >/dev/null
bundle=$(ls -d "$MF_HOME"/bundles/bench/1.1.0)
hyperfine --warmup 2 --runs "$runs" --style basic --export-json "$work/bundle.json" \
  --prepare "rm -rf $MF_HOME/bundles/bench/2.0.0 $MF_HOME/bundles/bench/bench-2.0.0.tar.gz; sqlite3 $MF_HOME/factory.sqlite \"DELETE FROM bundles WHERE version = '2.0.0'\" 2>/dev/null || python3 -c \"import sqlite3; c = sqlite3.connect('$MF_HOME/factory.sqlite'); c.execute(\\\"DELETE FROM bundles WHERE version = '2.0.0'\\\"); c.commit()\"" \
  -n "mf bundle v2.0.0 (session recorded)" "$mf bundle v2.0.0 --repo $repo" \
  -n "cp -r + sha256sum of a bundle's files" "rm -rf $work/copy && cp -r $bundle $work/copy && find $work/copy -type f -exec sha256sum {} + >/dev/null && tar -czf $work/copy.tgz -C $work copy" >&2
# The same with 32 MiB of trained weights (incompressible), where the per-byte work dominates.
echo 33554432 > "$repo/size.txt"
git -C "$repo" add size.txt
git -C "$repo" -c user.name=b -c user.email=b@b commit -qm "big weights"
git -C "$repo" tag v3.0.0
"$mf" build v3.0.0 --repo "$repo" >/dev/null
"$mf" bundle v3.0.0 --repo "$repo" >/dev/null
big="$MF_HOME/bundles/bench/3.0.0"
cp -r "$big" "$work/big-bundle"
hyperfine --warmup 1 --runs "$runs" --style basic --export-json "$work/big.json" \
  --prepare "rm -rf $MF_HOME/bundles/bench/3.0.0 $MF_HOME/bundles/bench/bench-3.0.0.tar.gz; python3 -c \"import sqlite3; c = sqlite3.connect('$MF_HOME/factory.sqlite'); c.execute(\\\"DELETE FROM bundles WHERE version = '3.0.0'\\\"); c.commit()\"" \
  -n "mf bundle v3.0.0 (32 MiB weights, session recorded)" "$mf bundle v3.0.0 --repo $repo" \
  -n "cp -r + sha256sum + tar -czf of its files" "rm -rf $work/copy && cp -r $work/big-bundle $work/copy && find $work/copy -type f -exec sha256sum {} + >/dev/null && tar -czf $work/copy.tgz -C $work copy" >&2
python3 - "$work/reconcile.json" "$work/bundle.json" "$work/big.json" <<'PY'
import json, sys
for path in sys.argv[1:]:
    for r in json.load(open(path))["results"]:
        print(f"{r['command']:44} median {r['median']*1000:8.1f} ms  min {r['min']*1000:8.1f} ms")
PY
