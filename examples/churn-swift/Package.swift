// swift-tools-version:6.0
import PackageDescription

// ModelKit is the one dependency; `mf` answers its URL with its own copy, offline (`mf modelkit`
// sets up this folder for `swift build` by hand).
let package = Package(
    name: "churn",
    dependencies: [.package(url: "https://github.com/model-factory/modelkit.git", from: "0.1.0")],
    targets: [
        .executableTarget(name: "churn", dependencies: [.product(name: "ModelKit", package: "modelkit")])
    ]
)
