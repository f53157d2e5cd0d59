#!/usr/bin/env bash
# Benchmark: `mf versions --json` against `git tag --merged <production branch>`.
#
# Builds (once, cached under benchmarks/work/) a synthetic model repository of libgit2's size: a
# production line of COMMITS commits with a --no-ff merge from a feature branch every 20 commits,
# TAGS version tags on it (half annotated, some of them hotfixes), BRANCHES feature/hotfix/other
# branches, everything in one pack (as a clone or fetch leaves it) and the refs packed; and a copy
# of it with git's commit-graph file (as `git gc` leaves it). Then one hyperfine run times, on
# both, `git tag --merged master`, `mf versions --json` cold (an empty --home: the first look, as a
# worker or webhook meets a repository) and warm (the home of an earlier run), and prints the
# medians with the ratio mf/git for each (target: <= 1.0 everywhere).
#
#   benchmarks/versions.sh [--commits 25000] [--tags 5000] [--branches 2000] [--runs 20]
#
# MF=/path/to/mf times another build of mf (default: the one users install, scripts/build-release).
set -euo pipefail
cd "$(dirname "$0")/.."

commits=25000 tags=5000 branches=2000 runs=20
while [ $# -gt 0 ]; do
  case "$1" in
    --commits) commits=$2; shift 2 ;;
    --tags) tags=$2; shift 2 ;;
    --branches) branches=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: $0 [--commits N] [--tags N] [--branches N] [--runs N]" >&2; exit 64 ;;
  esac
done

command -v hyperfine >/dev/null || { apt-get install -y -qq hyperfine >/dev/null 2>&1 || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }; }
if [ -z "${MF:-}" ]; then
  scripts/setup
  MF=$(scripts/build-release)
fi
mf=$MF

repo="benchmarks/work/repo-$commits-$tags-$branches"
if [ ! -d "$repo" ]; then
  echo "building $repo ..." >&2
  rm -rf "$repo.tmp" && mkdir -p "$repo.tmp"
  git -C "$repo.tmp" init -q -b master
  python3 - "$commits" "$tags" "$branches" <<'PY' | git -C "$repo.tmp" fast-import --quiet
import sys
commits, tags, branches = map(int, sys.argv[1:])
out = sys.stdout.buffer
def w(text): out.write(text.encode())
def data(payload):
    payload = payload.encode()
    w(f"data {len(payload)}\n"); out.write(payload); w("\n")
time = 1_700_000_000
mark = 0
every = max(1, commits // tags)          # a release every `every` commits
branch_every = max(1, commits // branches)
version = [1, 0, 0]
tagged = []
for i in range(commits):
    time += 60
    mark += 1
    if i % 20 == 19 and i > 0:
        # a feature branch of one commit merged --no-ff into master
        w(f"commit refs/heads/feature/merged\nmark :{mark}\ncommitter Dev <d@example.com> {time} +0000\n")
        data(f"feature {i}\n")
        w(f"from :{mark - 2}\nM 100644 inline feature.txt\n"); data(f"{i}\n"); w("\n")
        mark += 1; time += 60
        w(f"commit refs/heads/master\nmark :{mark}\ncommitter Dev <d@example.com> {time} +0000\n")
        data(f"Merge feature {i}\n")
        w(f"from :{mark - 2}\nmerge :{mark - 1}\n\n")
    else:
        w(f"commit refs/heads/master\nmark :{mark}\ncommitter Dev <d@example.com> {time} +0000\n")
        data(f"commit {i}\n")
        if mark > 1: w(f"from :{mark - 1}\n")
        w(f"M 100644 inline model.txt\n"); data(f"{i}\n"); w("\n")
    if i % every == every - 1 and len(tagged) < tags:
        # mostly minor releases, every fourth a hotfix
        if len(tagged) % 4 == 3: version[2] += 1
        else: version[1] += 1; version[2] = 0
        if version[1] >= 50: version = [version[0] + 1, 0, 0]
        name = "v%d.%d.%d" % tuple(version)
        tagged.append(name)
        if len(tagged) % 2:
            w(f"tag {name}\nfrom :{mark}\ntagger Dev <d@example.com> {time} +0000\n"); data(f"Release {name}\n")
        else:
            w(f"reset refs/tags/{name}\nfrom :{mark}\n\n")
    if i % branch_every == 0:
        kind = ("feature", "hotfix", "other")[(i // branch_every) % 3]
        w(f"reset refs/heads/{kind}/b{i}\nfrom :{mark}\n\n")
w("reset refs/heads/feature/merged\n\n")
PY
  git -C "$repo.tmp" branch -D feature/merged -q 2>/dev/null || true
  git -C "$repo.tmp" branch -q development master~3
  git -C "$repo.tmp" -c gc.writeCommitGraph=false repack -a -d -q
  git -C "$repo.tmp" pack-refs --all
  rm -rf "$repo.tmp/.git/objects/info/commit-graph" "$repo.tmp/.git/objects/info/commit-graphs"
  rm -rf "$repo-graph" && cp -r "$repo.tmp" "$repo-graph.tmp"
  git -C "$repo-graph.tmp" commit-graph write --reachable
  mv "$repo-graph.tmp" "$repo-graph"
  mv "$repo.tmp" "$repo"
fi

for r in "$repo" "$repo-graph"; do
  echo "repository: $r" >&2
  echo "  commits: $(git -C "$r" rev-list --count master) on master, $(git -C "$r" rev-list --count --all) in all; references: $(git -C "$r" for-each-ref | wc -l) ($(git -C "$r" tag | wc -l) tags); commit-graph file: $(test -e "$r/.git/objects/info/commit-graph" && echo yes || echo no)" >&2
  echo "  mf finds $("$mf" versions --repo "$r" --json --home "$(mktemp -d)" | grep -c '"tag"') releases; git finds $(git -C "$r" tag --merged master | wc -l) tags merged into master" >&2
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Warm homes: the commit graphs of one earlier run each.
"$mf" versions --repo "$repo" --json --home "$work/warm" >/dev/null
"$mf" versions --repo "$repo-graph" --json --home "$work/warm-graph" >/dev/null

# One run, the peer beside mf: each cold run starts from an empty home (removed outside the
# timed part, by --prepare).
hyperfine -N --warmup 3 --runs "$runs" --style basic --export-json "$work/results.json" \
  --prepare true --prepare "rm -rf $work/cold" --prepare true \
  --prepare true --prepare "rm -rf $work/cold-graph" --prepare true \
  -n "git tag --merged master" "git -C $repo tag --merged master" \
  -n "mf versions --json (cold)" "$mf versions --repo $repo --json --home $work/cold" \
  -n "mf versions --json (warm)" "$mf versions --repo $repo --json --home $work/warm" \
  -n "git tag --merged master (commit-graph)" "git -C $repo-graph tag --merged master" \
  -n "mf versions --json (cold, commit-graph)" "$mf versions --repo $repo-graph --json --home $work/cold-graph" \
  -n "mf versions --json (warm, commit-graph)" "$mf versions --repo $repo-graph --json --home $work/warm-graph" >&2

python3 - "$work/results.json" "$runs" <<'PY'
import json, sys
results = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
runs = sys.argv[2]
def ms(name): return results[name]["median"] * 1000
print(f"medians of {runs} runs (minimums below)")
print(f"{'repository':28} {'git tag --merged':>17} {'mf cold':>9} {'mf warm':>9} {'cold/git':>9} {'warm/git':>9}")
for label, suffix in (("one pack, no commit-graph", ""), ("with git's commit-graph", " (commit-graph)")):
    git = ms("git tag --merged master" + suffix)
    cold = ms("mf versions --json (cold" + (", commit-graph)" if suffix else ")"))
    warm = ms("mf versions --json (warm" + (", commit-graph)" if suffix else ")"))
    print(f"{label:28} {git:14.1f} ms {cold:6.1f} ms {warm:6.1f} ms {cold / git:9.2f} {warm / git:9.2f}")
for name, r in results.items():
    print(f"  min {r['min'] * 1000:6.1f} ms  {name}")
PY
