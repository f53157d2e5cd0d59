// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "ModelFactory",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mf", targets: ["mf"]),
        .library(name: "ModelKit", targets: ["ModelKit"]),
        .library(name: "GitKit", targets: ["GitKit"]),
        .library(name: "ModelFactory", targets: ["ModelFactory"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "SQLiteStore", targets: ["SQLiteStore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        // libgit2 as Debian ships it (1.5); `scripts/setup` installs libgit2-dev.
        .systemLibrary(
            name: "CGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        // zlib, for the bundles' reproducible .tar.gz (`scripts/setup` installs zlib1g-dev).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // The only code that calls libgit2.
        // (zlib: it reads commits straight from pack files on a first look.)
        .target(name: "GitKit", dependencies: ["CGit2", "CZlib"]),
        // A Jinja renderer with cookiecutter's extensions, for `mf scaffold` (Foundation only).
        .target(name: "Jinja"),
        // The SDK a Swift model plugin links: Foundation only, so a plugin builds fast. A model
        // resolves it from the copy `mf` materialises (ModelKitPackage), never from here.
        .target(name: "ModelKit"),
        // libcurl's C API, loaded with dlopen when a request is made (`scripts/setup` installs
        // libcurl4-openssl-dev for its header): `mf` starts without libcurl and its libraries.
        .target(name: "CCurl"),
        // Child processes, file locks, file reads, SHA-256 digests and HTTP requests: the
        // operating-system helpers every other target uses (Foundation, swift-crypto,
        // swift-subprocess and libcurl at run time only).
        .target(
            name: "SystemKit",
            dependencies: [
                "CCurl",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // The factory's record, as every part sees it: the `FactoryStore` protocol, its records
        // and `StoreError`. No database driver: an implementation sits beside it.
        .target(name: "Store", dependencies: ["SystemKit"], path: "Sources/Store/Protocol"),
        // The default store, SQLite through GRDB: the only code that imports GRDB. (A
        // PostgreSQL store will sit beside it, the only code that imports its driver.)
        .target(name: "SQLiteStore", dependencies: ["Store", "SystemKit", .product(name: "GRDB", package: "GRDB.swift")], path: "Sources/Store/SQLite"),
        // The framework: flow, manifest, worker client, pipeline, bundles, scaffold, reconciler,
        // triggers; it talks to the store through `FactoryStore` and opens the default one.
        .target(
            name: "ModelFactory",
            dependencies: [
                "GitKit", "ModelKit", "Jinja", "CZlib", "SystemKit", "Store", "SQLiteStore", .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The dashboard (`mf ui`, `mf serve --ui`): read-only pages over the store, from mustache
        // templates embedded in the binary (Templates/), each page also as JSON.
        .target(
            name: "Dashboard",
            dependencies: [
                "ModelFactory", "Store", "GitKit", "SystemKit", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            resources: [.embedInCode("Templates")]
        ),
        // The HTTP serving runtime: bundles behind the Open Inference Protocol v2 and v1 APIs.
        .target(
            name: "ModelServer",
            dependencies: [
                "ModelFactory", "Store", "ModelKit", "GitKit", "SystemKit", "Dashboard", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The thin command-line layer.
        .executableTarget(
            name: "mf",
            dependencies: [
                "ModelFactory", "Store", "ModelServer", "Dashboard", "ModelKit", "Jinja", "SystemKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // A synthetic factory home for the dashboard's browser test and benchmark (not a product).
        .executableTarget(
            name: "dashboard-fixture",
            dependencies: ["ModelFactory", "Store", "SQLiteStore", "SystemKit", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // Plugins/MFCommand (`swift package mf …`) is not a target here: a Swift model depends
        // on ModelKit alone, and `mf` ships the plugin inside the ModelKit package it
        // materialises for them (ModelKitPackage).
        // Temporary folders and `git` fixtures shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SystemKitTests", dependencies: ["SystemKit", "TestSupport"]),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "TestSupport"]),
        .testTarget(
            name: "ModelFactoryTests", dependencies: ["ModelFactory", "Store", "SQLiteStore", "ModelKit", "GitKit", "SystemKit", "TestSupport"],
            exclude: ["make_binary_cases.py"]),
        // The SQLite store's own tests: its migrations, error mapping and change signal (GRDB
        // only to open a second connection that holds a lock).
        .testTarget(
            name: "SQLiteStoreTests", dependencies: ["Store", "SQLiteStore", "SystemKit", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ModelKitTests", dependencies: ["ModelKit", "TestSupport"]),
        .testTarget(
            name: "ModelServerTests",
            dependencies: [
                "ModelServer", "ModelFactory", "Store", "SQLiteStore", "ModelKit", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
                "SystemKit",
            ]),
        .testTarget(
            name: "DashboardTests",
            dependencies: [
                "Dashboard", "ModelFactory", "Store", "SQLiteStore", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird"),
            ]),
        .testTarget(name: "JinjaTests", dependencies: ["Jinja"], exclude: ["cases.txt", "context.json", "make_cases.py"]),
        // End-to-end tests run the built `mf` binary.
        .testTarget(name: "mfTests", dependencies: ["mf", "dashboard-fixture", "GitKit", "ModelFactory", "Store", "SQLiteStore", "TestSupport"]),
    ]
)

for target in package.targets where target.type != .system && target.type != .plugin && target.name != "CCurl" {
    target.swiftSettings =
        (target.swiftSettings ?? []) + [
            .enableUpcomingFeature("ExistentialAny"),
            .enableUpcomingFeature("InternalImportsByDefault"),
        ]
}
