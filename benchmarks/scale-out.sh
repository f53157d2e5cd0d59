#!/usr/bin/env bash
# Benchmark: the factory past one machine — the job queue on PostgreSQL, workers on two homes
# that share no folder — side by side with the same work on one SQLite home, in one run.
#
#  1. Pick-up: a job enqueued (`mf enqueue` from home A) and taken by a worker already waiting on
#     home B, from the job's `createdAt` (the enqueue's commit) to its `startedAt` (the claim),
#     as the worker's `took` line reports it (`waited`). PostgreSQL wakes the worker with
#     LISTEN/NOTIFY; the SQLite peer (enqueue and worker on one home) looks at `data_version`
#     every 50 ms. Target: median under 50 ms.
#  2. Throughput: 1,000 small jobs (each a reconcile with nothing to do: 1,000 repositories with
#     one commit and no model) through 4 workers: 2 on each of 2 homes on PostgreSQL, against 4
#     on one SQLite home. Jobs per second, from the workers' start to the last job's end.
#
#   benchmarks/scale-out.sh [--pickups 30] [--jobs 1000]
#
# MF=/path/to/mf times another build (default: the installed build, scripts/build-release).
set -euo pipefail
cd "$(dirname "$0")/.."
pickups=30
jobs=1000
while [ $# -gt 0 ]; do
  case $1 in
    --pickups) pickups=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    *) echo "usage: benchmarks/scale-out.sh [--pickups N] [--jobs N]" >&2; exit 2 ;;
  esac
done
mf=${MF:-$(scripts/build-release)}
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/postgres-cluster stop "$work/pg" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
unset MF_STORE MF_HOME

server=$(scripts/postgres-cluster start "$work/pg")
database() { psql "$server" -Atqc "CREATE DATABASE $1" >/dev/null && echo "${server%/postgres}/$1"; }

# A repository with one commit on master and no model: its reconcile has nothing to do.
git init -q -b master "$work/template"
echo "no model here" > "$work/template/README"
git -C "$work/template" add README
git -C "$work/template" commit -qm "no model"
mkdir -p "$work/repos"
for i in $(seq 1 "$jobs"); do cp -r "$work/template" "$work/repos/r$i"; done

# Starts a worker in the background: home, store, log.
worker() {
  "$mf" worker --home "$1" --store "$2" --concurrency 1 --poll 5 --json ${4:-} >"$3" 2>&1 &
  pids+=($!)
}

# Prints the median and spread of how long jobs waited before a worker took them: the `waited`
# of each `took` line in the worker's log (the job's startedAt - createdAt, as the store keeps them).
pickup_stats() {
  python3 - "$1" <<'PY'
import json, statistics, sys
d = sorted(float(e["waited"]) * 1000 for e in map(json.loads, filter(str.strip, open(sys.argv[1]))) if e.get("event") == "took" and "waited" in e)
print(f"median {statistics.median(d):7.1f} ms  p90 {d[max(0, int(len(d) * 0.9) - 1)]:7.1f} ms  min {d[0]:6.1f}  max {d[-1]:7.1f}  ({len(d)} jobs)")
PY
}

# Enqueues one job at a time from home $1 on store $2 and waits until it ended, $pickups times.
pickup_run() {
  for i in $(seq 1 "$pickups"); do
    "$mf" enqueue --home "$1" --store "$2" --repo "$work/repos/r$i" --ref refs/heads/master >/dev/null
    for _ in $(seq 1 400); do
      [ "$("$mf" jobs --home "$1" --store "$2" --json --limit 1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["state"])')" = done ] && break
      sleep 0.05
    done
  done
}

echo "== pick-up: a job taken by a waiting worker (${pickups} jobs, one at a time)" >&2
pg=$(database pickup)
worker "$work/b" "$pg" "$work/pickup-pg.log"
sleep 1
pickup_run "$work/a" "$pg"
echo "PostgreSQL, worker on another home (LISTEN/NOTIFY): $(pickup_stats "$work/pickup-pg.log")"
sqlite="sqlite:$work/one/factory.sqlite"
worker "$work/one" "$sqlite" "$work/pickup-sqlite.log"
sleep 1
pickup_run "$work/one" "$sqlite"
echo "SQLite, worker on the same home (data_version, 50 ms):  $(pickup_stats "$work/pickup-sqlite.log")"
for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

echo "== throughput: ${jobs} no-op reconciles through 4 workers" >&2
# Enqueues every job first (two processes at a time), then times the workers from start to idle.
enqueue_all() {
  seq 1 "$jobs" | xargs -P 2 -I{} "$mf" enqueue --home "$1" --store "$2" --repo "$work/repos/r{}" --ref refs/heads/master >/dev/null
}
throughput() {  # label, then (home store) pairs, one worker each
  local label=$1
  shift
  local start end
  start=$(date +%s.%N)
  local mine=()
  while [ $# -gt 0 ]; do
    "$mf" worker --home "$1" --store "$2" --concurrency 1 --until-idle --json >"$work/$label-$#.log" 2>&1 &
    mine+=($!)
    shift 2
  done
  for pid in "${mine[@]}"; do wait "$pid"; done
  end=$(date +%s.%N)
  python3 -c "import sys; s = float(sys.argv[2]) - float(sys.argv[1]); print(f'{sys.argv[3]:52} {int(sys.argv[4]) / s:7.1f} jobs/s  ({sys.argv[4]} jobs in {s:.1f} s)')" "$start" "$end" "$label" "$jobs"
}
pg=$(database throughput)
enqueue_all "$work/a" "$pg"
throughput "PostgreSQL, 2 homes x 2 workers" "$work/h1" "$pg" "$work/h1" "$pg" "$work/h2" "$pg" "$work/h2" "$pg"
sqlite="sqlite:$work/single/factory.sqlite"
enqueue_all "$work/single" "$sqlite"
throughput "SQLite, 1 home x 4 workers" "$work/single" "$sqlite" "$work/single" "$sqlite" "$work/single" "$sqlite" "$work/single" "$sqlite"
for store in "$pg" "$sqlite"; do
  left=$("$mf" jobs --home "$work/single" --store "$store" --limit 100000 --json | python3 -c 'import json,sys; j = json.load(sys.stdin); print(sum(1 for x in j if x["state"] != "done"), len(j))')
  echo "jobs not done / all in ${store%%:*}: $left" >&2
done
