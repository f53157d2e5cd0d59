// swift-tools-version:6.0
import Foundation
import PackageDescription

// ModelKit comes from a local checkout of Model Factory when MODELKIT_PATH names one (offline,
// as the factory's own tests build this example), else from the published package.
let localCheckout = ProcessInfo.processInfo.environment["MODELKIT_PATH"]
let modelFactory: Package.Dependency = localCheckout.map { .package(path: $0) }
    ?? .package(url: "https://github.com/model-factory/model-factory.git", from: "0.1.0")
let modelFactoryIdentity = localCheckout.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "model-factory"

let package = Package(
    name: "churn",
    dependencies: [modelFactory],
    targets: [
        .executableTarget(name: "churn", dependencies: [.product(name: "ModelKit", package: modelFactoryIdentity)])
    ]
)
