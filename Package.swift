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
        // The framework: flow, manifest, worker client, and (later) pipeline, bundles, store,
        // scaffold, reconciler.
        .target(
            name: "ModelFactory",
            dependencies: [
                "GitKit", "ModelKit", "Jinja", "CZlib", .product(name: "Yams", package: "Yams"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The HTTP serving runtime: bundles behind the Open Inference Protocol v2 and v1 APIs.
        .target(
            name: "ModelServer",
            dependencies: [
                "ModelFactory", "ModelKit", "GitKit", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The thin command-line layer.
        .executableTarget(
            name: "mf",
            dependencies: [
                "ModelFactory", "ModelServer", "ModelKit", "Jinja", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Plugins/MFCommand (`swift package mf …`) is not a target here: a Swift model depends
        // on ModelKit alone, and `mf` ships the plugin inside the ModelKit package it
        // materialises for them (ModelKitPackage).
        // Temporary folders and `git` fixtures shared by the test targets.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "GitKitTests", dependencies: ["GitKit", "TestSupport"]),
        .testTarget(name: "ModelFactoryTests", dependencies: ["ModelFactory", "ModelKit", "GitKit", "TestSupport"], exclude: ["make_binary_cases.py"]),
        .testTarget(name: "ModelKitTests", dependencies: ["ModelKit", "TestSupport"]),
        .testTarget(
            name: "ModelServerTests",
            dependencies: ["ModelServer", "ModelFactory", "ModelKit", "TestSupport", .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "JinjaTests", dependencies: ["Jinja"], exclude: ["cases.txt", "context.json", "make_cases.py"]),
        // End-to-end tests run the built `mf` binary.
        .testTarget(name: "mfTests", dependencies: ["mf", "GitKit", "ModelFactory", "TestSupport"]),
    ]
)

for target in package.targets where target.type != .system && target.type != .plugin {
    target.swiftSettings = (target.swiftSettings ?? []) + [
        .enableUpcomingFeature("ExistentialAny"),
        .enableUpcomingFeature("InternalImportsByDefault"),
    ]
}
