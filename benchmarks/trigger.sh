#!/usr/bin/env bash
# Benchmark: from `git push` of a release tag to its bundle being published, for the Python
# example (examples/churn-python, scikit-learn), through the post-receive hook and a running
# `mf worker`. Split into the plugin's own time (its session's build, start, describe, train,
# evaluate and predict steps, as the store records them) and the factory's time (everything
# else: the hook, the queue, libgit2, exporting the tree, gates, assembling and publishing the
# bundle). Target: the factory's part under 1 second.
#
# One warm-up release first installs scikit-learn into the shared environment (from pip's cache
# or PyPI); each measured release then changes a file, so its tree is new and the model is
# really trained and evaluated again.
#
#   benchmarks/trigger.sh [--releases 5]
set -euo pipefail
cd "$(dirname "$0")/.."
releases=5
[ "${1:-}" = "--releases" ] && releases=$2
mf=$(scripts/build-release)
work=$(mktemp -d)
export MF_HOME="$work/home"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.com GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.com
worker=""
trap '[ -n "$worker" ] && kill "$worker" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

git init -q --bare -b master "$work/origin.git"
"$mf" hook install --repo "$work/origin.git" >&2
git clone -q "$work/origin.git" "$work/clone" 2>/dev/null
cp -r examples/churn-python/. "$work/clone/"
git -C "$work/clone" checkout -q -b master
git -C "$work/clone" add -A
git -C "$work/clone" commit -q -m "churn model"
"$mf" worker --lease 30 > "$work/worker.log" 2>&1 &
worker=$!

bundles_of() {
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True).execute("SELECT COUNT(*) FROM bundles WHERE tag = ?", (sys.argv[2],)).fetchone()[0])' \
        "$MF_HOME/factory.sqlite" "$1" 2>/dev/null || echo 0
}

# Pushes tag $1 (after a commit that changes the tree) and waits for its bundle; prints the
# push's start time (epoch seconds) and the seconds `git push` itself took.
release() {
    local tag=$1
    echo "$tag" > "$work/clone/release.txt"
    git -C "$work/clone" add -A
    git -C "$work/clone" commit -q -m "release $tag"
    git -C "$work/clone" tag -a -m "$tag" "$tag"
    local start end
    start=$(date +%s.%N)
    git -C "$work/clone" push -q origin master "$tag" 2>/dev/null
    end=$(date +%s.%N)
    until [ "$(bundles_of "$tag")" = 1 ]; do sleep 0.05; done
    echo "$start $(awk "BEGIN { print $end - $start }")"
}

echo "warm-up release (installs scikit-learn once)…" >&2
release v0.9.0 > /dev/null

printf '%-8s %9s %9s %9s %9s   %s\n' release total plugin factory push "factory = hook+queue / session overhead / bundle"
for index in $(seq 1 "$releases"); do
    tag="v1.$index.0"
    read -r start push < <(release "$tag")
    python3 - "$MF_HOME/factory.sqlite" "$tag" "$start" "$push" <<'PY'
import sqlite3, sys
from datetime import datetime, timezone
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
tag, start, push = sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
def epoch(text): return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
session, bundled = db.execute("SELECT sessionId, createdAt FROM bundles WHERE tag = ?", (tag,)).fetchone()
started, ended = db.execute("SELECT startedAt, endedAt FROM sessions WHERE id = ?", (session,)).fetchone()
plugin = db.execute("SELECT COALESCE(SUM(seconds), 0) FROM steps WHERE sessionId = ? AND name IN ('build', 'start', 'describe', 'train', 'evaluate', 'predict')", (session,)).fetchone()[0]
job = db.execute("SELECT createdAt, startedAt FROM jobs WHERE refs LIKE ? ORDER BY id DESC LIMIT 1", (f'%refs/tags/{tag}%',)).fetchone()
total = epoch(bundled) - start
before = epoch(started) - start           # hook, queue, worker pick-up, libgit2, flow
overhead = (epoch(ended) - epoch(started)) - plugin  # export, store, gates, artifacts
after = epoch(bundled) - epoch(ended)     # assemble, hash, archive, publish
print(f"{tag:<8} {total:8.3f}s {plugin:8.3f}s {total - plugin:8.3f}s {push:8.3f}s   {before:.3f} / {overhead:.3f} / {after:.3f}")
PY
done
