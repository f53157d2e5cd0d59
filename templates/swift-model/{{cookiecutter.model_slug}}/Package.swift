// swift-tools-version:6.0
import Foundation
import PackageDescription

// ModelKit, Model Factory's SDK for Swift models, comes from a local checkout of Model Factory
// when MODELKIT_PATH names one (offline), else from the published package.
//
//   MODELKIT_PATH=/path/to/model-factory swift build
let localCheckout = ProcessInfo.processInfo.environment["MODELKIT_PATH"].flatMap { $0.isEmpty ? nil : $0 }
let modelFactory: Package.Dependency = localCheckout.map { .package(path: $0) }
    ?? .package(url: "https://github.com/model-factory/model-factory.git", from: "{{ cookiecutter.mf_version }}")
let modelFactoryIdentity = localCheckout.map { URL(fileURLWithPath: $0).lastPathComponent } ?? "model-factory"
let modelKit = Target.Dependency.product(name: "ModelKit", package: modelFactoryIdentity)

let package = Package(
    name: "{{ cookiecutter.model_slug }}",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "{{ cookiecutter.model_slug }}", targets: ["{{ cookiecutter.model_slug }}"]),
    ],
    dependencies: [modelFactory],
    targets: [
        // The model itself: training, evaluation, prediction. A library, so the tests reach it.
        .target(name: "{{ cookiecutter.type_name }}Model", dependencies: [modelKit]),
        // The worker Model Factory starts (model.yaml's `run`): ModelWorker serving the model.
        .executableTarget(name: "{{ cookiecutter.model_slug }}", dependencies: ["{{ cookiecutter.type_name }}Model", modelKit]),
        .testTarget(name: "{{ cookiecutter.type_name }}ModelTests", dependencies: ["{{ cookiecutter.type_name }}Model", modelKit]),
    ]
)
