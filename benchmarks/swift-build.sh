#!/usr/bin/env bash
# Benchmark: the first `mf build` of a freshly scaffolded Swift model, against its limit.
#
#   A: `mf scaffold swift-model --no-input` into a new folder with a new MF_HOME (so ModelKit
#      is materialised, mirrored and checked out anew), then `mf build`: export, the factory's
#      reproducible release build (static Swift runtime), train, evaluate, predict, gates.
#   B: the limit: one package holding ModelKit's sources and the same model's sources (no
#      dependency to resolve), built with the same `swift build -c release --static-swift-stdlib`
#      and flags, from an empty .build.
#
# Each run starts from nothing (SwiftPM's shared caches are left alone, as on a user's machine
# after the first model). Pairs run A B A B … under farm-bench, which prints medians and the
# ratio A/B. Goal (issue 15): A under 20 s on this 2-core machine.
#
#   benchmarks/swift-build.sh [--runs 5]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=5
[ "${1:-}" = "--runs" ] && runs=$2

mf=$(scripts/build-release)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A: scaffold + first build, all fresh.
cat > "$work/a.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
run=\$(mktemp -d "$work/a.XXXX")
export MF_HOME="\$run/home"
cd "\$run"
"$mf" scaffold swift-model --no-input >/dev/null
cd churn
"$mf" build --json > "\$run/build.json"
python3 -c 'import json,sys; sys.exit(0 if all(r["status"] == "passed" for r in json.load(open(sys.argv[1]))) else 1)' "\$run/build.json"
rm -rf "\$run"
SH

# B: the same sources with ModelKit inside the package.
limit="$work/limit"
mkdir -p "$limit/Sources"
MF_HOME="$work/scaffold-home" "$mf" scaffold swift-model --no-input -o "$work/scaffold" >/dev/null
cp -R Sources/ModelKit "$limit/Sources/ModelKit"
cp -R "$work/scaffold/churn/Sources/ChurnModel" "$limit/Sources/ChurnModel"
cp -R "$work/scaffold/churn/Sources/churn" "$limit/Sources/churn"
cat > "$limit/Package.swift" <<'SWIFT'
// swift-tools-version:6.0
import PackageDescription
let package = Package(
    name: "churn",
    targets: [
        .target(name: "ModelKit", swiftSettings: [.enableUpcomingFeature("ExistentialAny"), .enableUpcomingFeature("InternalImportsByDefault")]),
        .target(name: "ChurnModel", dependencies: ["ModelKit"]),
        .executableTarget(name: "churn", dependencies: ["ChurnModel", "ModelKit"]),
    ]
)
SWIFT
cat > "$work/b.sh" <<SH
#!/usr/bin/env bash
set -euo pipefail
cd "$limit"
rm -rf .build
swift build -c release --static-swift-stdlib \
  -Xswiftc -file-prefix-map -Xswiftc "\$PWD=/mf/plugin" -Xswiftc -debug-prefix-map -Xswiftc "\$PWD=/mf/plugin" \
  -Xcc -ffile-prefix-map="\$PWD=/mf/plugin" -Xswiftc -gnone -Xswiftc -Xfrontend -Xswiftc -disable-incremental-llvm-codegen >/dev/null
SH
chmod +x "$work/a.sh" "$work/b.sh"
farm-bench -n "$runs" --warmup 1 --timeout 1800 --vs "$work/b.sh" -- "$work/a.sh"
