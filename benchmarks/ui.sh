#!/usr/bin/env bash
# Benchmark: how long each kind of dashboard page takes, on a big home: 1,000 sessions, 100
# releases of 5 models and 50,000 metric rows, written by the dashboard-fixture generator (with
# live metrics, drift, a rollout, environment history and jobs). `mf ui` (release build) serves
# it; the script finds one page of each kind by following the links in the pages' JSON from /ui,
# requests each page's HTML RUNS times with curl, one after another, and reports the median and
# p90 of the server's own time (`Server-Timing: page;dur=`: reading the store, building the page,
# rendering the template) and of curl's time_total, against the 100 ms limit.
#
#   benchmarks/ui.sh [--runs 30] [--models 5] [--releases 100] [--sessions 1000] [--metric-rows 50000] [--json]
#
# MF=/path/to/mf and FIXTURE=/path/to/dashboard-fixture time other builds (default: release
# builds in .build-static, as scripts/build-release makes them).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=30 models=5 releases=100 sessions=1000 metric_rows=50000 json=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    --releases) releases=$2; shift 2 ;;
    --sessions) sessions=$2; shift 2 ;;
    --metric-rows) metric_rows=$2; shift 2 ;;
    --json) json=1; shift ;;
    *) echo "usage: $0 [--runs N] [--models N] [--releases N] [--sessions N] [--metric-rows N] [--json]" >&2; exit 64 ;;
  esac
done
flags=(-c release --static-swift-stdlib --scratch-path .build-static)
if [ -z "${MF:-}" ]; then
  MF=$(scripts/build-release)
fi
if [ -z "${FIXTURE:-}" ]; then
  swift build "${flags[@]}" --product dashboard-fixture >&2
  FIXTURE="$(swift build "${flags[@]}" --show-bin-path)/dashboard-fixture"
fi

work=$(mktemp -d)
cleanup() { kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# Written afresh each run: drift, live metrics and the rollout are dated from now.
home="$work/home"
"$FIXTURE" --home "$home" --models "$models" --releases "$releases" --sessions "$sessions" --metric-rows "$metric_rows" >&2

"$MF" ui --home "$home" --port 0 > "$work/ui.out" 2> "$work/ui.log" &
for _ in $(seq 1 100); do
  grep -q "dashboard on" "$work/ui.out" 2>/dev/null && break
  sleep 0.1
done
base=$(grep -o 'http://[^ ]*' "$work/ui.out" | head -1)
[ -n "$base" ] || { echo "mf ui did not start: $(cat "$work/ui.out" "$work/ui.log")" >&2; exit 1; }
origin=${base%/ui}

python3 - "$origin" "$runs" "$json" "$models" "$releases" "$sessions" "$metric_rows" <<'PY'
import json, statistics, subprocess, sys, urllib.request

origin, runs, as_json = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
size = dict(zip(["models", "releases", "sessions", "metric_rows"], map(int, sys.argv[4:8])))

def get_json(path):
    with urllib.request.urlopen(origin + path + ("&" if "?" in path else "?") + "format=json") as answer:
        return json.load(answer)

def links(value):
    if isinstance(value, str):
        return [value] if value.startswith("/ui") and not value.startswith(("/ui/style.css", "/ui/login")) else []
    if isinstance(value, dict):
        return [link for key in sorted(value) for link in links(value[key])]
    if isinstance(value, list):
        return [link for item in value for link in links(item)]
    return []

def shape(link):
    segments = link.split("?")[0].strip("/").split("/")
    return "/".join("*" if index >= 2 and index % 2 == 0 else part for index, part in enumerate(segments))

# One page of each kind, by the links in the pages' JSON (at most three links of each shape).
queue, queued, shapes, kinds = ["/ui"], {"/ui"}, {}, {}
while queue:
    path = queue.pop(0)
    try:
        page = get_json(path)
    except Exception:
        continue
    if not isinstance(page, dict) or "page" not in page:
        continue
    kinds.setdefault(page["page"], path)
    for link in links(page):
        if link in queued or shapes.get(shape(link), 0) >= 3:
            continue
        shapes[shape(link)] = shapes.get(shape(link), 0) + 1
        queued.add(link)
        queue.append(link)

def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]

rows = []
for kind, path in kinds.items():
    server, total = [], []
    for _ in range(runs):
        out = subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "-D", "-", "-w", "TOTAL %{time_total} %{http_code}\n", origin + path],
            capture_output=True, text=True, check=True).stdout
        status = out.strip().split()[-1]
        if status != "200":
            sys.exit(f"{path} answered {status}")
        for line in out.splitlines():
            if line.lower().startswith("server-timing:") and "dur=" in line:
                server.append(float(line.split("dur=")[1].split(";")[0].split(",")[0]))
            if line.startswith("TOTAL "):
                total.append(float(line.split()[1]) * 1000)
    rows.append({
        "page": kind, "path": path, "runs": runs,
        "server_median_ms": statistics.median(server), "server_p90_ms": percentile(server, 0.9),
        "total_median_ms": statistics.median(total), "total_p90_ms": percentile(total, 0.9),
        "under_limit": percentile(server, 0.5) < 100,
    })

if as_json:
    print(json.dumps({"home": size, "limit_ms": 100, "pages": rows}, indent=2))
else:
    print(f"dashboard pages, home of {size['sessions']} sessions, {size['releases']} releases of {size['models']} models, "
          f"{size['metric_rows']} metric rows; {runs} requests each (ms; limit 100 server-side)")
    print(f"{'page':<12} {'server median':>14} {'server p90':>11} {'total median':>13} {'total p90':>10}  {'':<5} path")
    for row in rows:
        print(f"{row['page']:<12} {row['server_median_ms']:>14.2f} {row['server_p90_ms']:>11.2f} {row['total_median_ms']:>13.2f} "
              f"{row['total_p90_ms']:>10.2f}  {'ok' if row['under_limit'] else 'SLOW':<5} {row['path']}")
if not all(row["under_limit"] for row in rows):
    sys.exit(1)
PY
