#!/usr/bin/env bash
# Benchmark: `mf versions --json` against `git tag --merged <production branch>`.
#
# Builds (once, cached under benchmarks/work/) a synthetic model repository: a production line
# of COMMITS commits with a --no-ff merge from a feature branch every 20 commits, TAGS version
# tags on it (half annotated, some of them hotfixes), BRANCHES feature/hotfix/other branches,
# refs packed. Then runs both commands RUNS times, interleaved, and prints the medians and the
# ratio mf/git (target: <= 1.0), for mf both cold (no cached commit graph under MF_HOME) and
# warm (the graph cached by an earlier run; the repository unchanged).
#
#   benchmarks/versions.sh [--commits 20000] [--tags 2000] [--branches 500] [--runs 15] [--commit-graph]
#
# --commit-graph also writes git's commit-graph file (as `git gc` does), which git uses to
# skip parsing commits; libgit2 1.5 reads it too.
set -euo pipefail
cd "$(dirname "$0")/.."

commits=20000 tags=2000 branches=500 runs=15 graph=0
while [ $# -gt 0 ]; do
  case "$1" in
    --commits) commits=$2; shift 2 ;;
    --tags) tags=$2; shift 2 ;;
    --branches) branches=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --commit-graph) graph=1; shift ;;
    *) echo "usage: $0 [--commits N] [--tags N] [--branches N] [--runs N] [--commit-graph]" >&2; exit 64 ;;
  esac
done

scripts/setup
swift build -c release --product mf >&2
mf=$(swift build -c release --show-bin-path)/mf

repo="benchmarks/work/repo-$commits-$tags-$branches-$graph"
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
  git -C "$repo.tmp" pack-refs --all
  if [ "$graph" = 1 ]; then git -C "$repo.tmp" commit-graph write --reachable; fi
  mv "$repo.tmp" "$repo"
fi

echo "repository: $repo" >&2
echo "  commits: $(git -C "$repo" rev-list --count master), tags: $(git -C "$repo" tag | wc -l), branches: $(git -C "$repo" branch | wc -l), loose refs: $(find "$repo/.git/refs" -type f | wc -l)" >&2
echo "  mf finds $("$mf" versions --repo "$repo" --json | grep -c '"tag"') releases; git finds $(git -C "$repo" tag --merged master | wc -l) tags merged into master" >&2

python3 - "$mf" "$repo" "$runs" <<'PY'
import os, shutil, statistics, subprocess, sys, tempfile, time
mf, repo, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
home = tempfile.mkdtemp(prefix="mf-bench-home-")
cold_home = os.path.join(home, "cold")
def cold():
    shutil.rmtree(cold_home, ignore_errors=True)   # outside the timed part
    return [mf, "versions", "--repo", repo, "--json", "--home", cold_home]
commands = {
    # A first run reads every commit of the production line and caches the graph under MF_HOME.
    "mf versions --json (cold)": cold,
    # Later runs (the usual case: CI, hooks, the reconciler) read only commits added since.
    "mf versions --json (warm)": lambda: [mf, "versions", "--repo", repo, "--json", "--home", os.path.join(home, "warm")],
    "git tag --merged master": lambda: ["git", "-C", repo, "tag", "--merged", "master"],
}
samples = {name: [] for name in commands}
for name, command in commands.items():  # warm the page cache and the warm home
    subprocess.run(command(), stdout=subprocess.DEVNULL, check=True)
for _ in range(runs):
    for name, command in commands.items():
        argv = command()
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, check=True)
        samples[name].append(time.perf_counter() - start)
shutil.rmtree(home, ignore_errors=True)
medians = {name: statistics.median(values) * 1000 for name, values in samples.items()}
for name, value in medians.items():
    print(f"{name:28s} median {value:8.1f} ms  (min {min(samples[name]) * 1000:.1f}, max {max(samples[name]) * 1000:.1f}, {runs} runs)")
git = medians["git tag --merged master"]
print(f"ratio mf/git, warm: {medians['mf versions --json (warm)'] / git:.2f}   cold: {medians['mf versions --json (cold)'] / git:.2f}")
PY
