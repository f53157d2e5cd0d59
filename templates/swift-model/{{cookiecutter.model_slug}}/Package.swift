// swift-tools-version:6.0
import PackageDescription

// ModelKit, Model Factory's SDK for Swift models, is this package's one dependency. `mf` answers
// its URL with its own copy, offline: `mf build` does it for its builds, and `mf modelkit` (run by
// `mf scaffold` already) points this folder's SwiftPM mirror at it for `swift build` by hand.
let package = Package(
    name: "{{ cookiecutter.model_slug }}",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "{{ cookiecutter.model_slug }}", targets: ["{{ cookiecutter.model_slug }}"]),
    ],
    dependencies: [
        .package(url: "https://github.com/model-factory/modelkit.git", from: "{{ cookiecutter.modelkit_version }}"),
    ],
    targets: [
        // The model itself: training, evaluation, prediction. A library, so the tests reach it.
        .target(name: "{{ cookiecutter.type_name }}Model", dependencies: [.product(name: "ModelKit", package: "modelkit")]),
        // The worker Model Factory starts (model.yaml's `run`): ModelWorker serving the model.
        .executableTarget(
            name: "{{ cookiecutter.model_slug }}",
            dependencies: ["{{ cookiecutter.type_name }}Model", .product(name: "ModelKit", package: "modelkit")]
        ),
        .testTarget(
            name: "{{ cookiecutter.type_name }}ModelTests",
            dependencies: ["{{ cookiecutter.type_name }}Model", .product(name: "ModelKit", package: "modelkit")]
        ),
    ]
)
