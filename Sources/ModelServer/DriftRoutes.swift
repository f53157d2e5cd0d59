internal import Foundation
internal import Hummingbird
internal import ModelFactory

/// `GET /v2/models/{m}/stats` (the current version) and `GET /v2/models/{m}/versions/{v}/stats`:
/// the drift of each input field over the version's live window.
extension ModelServer {
    /// The answer of `/stats`:
    /// `{"model", "version", "profile", "enabled", "window", "capacity", "minimum_window", "threshold", "fields": [{"name", "psi", "missing_share", "out_of_schema_share", "alert"}]}`.
    /// `profile` is false for a bundle made before profiles, `enabled` false when `--drift-window 0`
    /// turned drift off; then `fields` is empty. A field's numbers are null while the window is
    /// empty, and its PSI when the training data had no values for it.
    struct DriftReport: Encodable {
        struct Field: Encodable {
            var name: String
            var psi: Double?
            var missingShare: Double?
            var outOfSchemaShare: Double?
            var alert: Bool

            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(name, forKey: .name)
                try container.encode(psi.map(DriftReport.rounded), forKey: .psi)
                try container.encode(missingShare.map(DriftReport.rounded), forKey: .missingShare)
                try container.encode(outOfSchemaShare.map(DriftReport.rounded), forKey: .outOfSchemaShare)
                try container.encode(alert, forKey: .alert)
            }

            enum CodingKeys: String, CodingKey {
                case name, psi
                case missingShare = "missing_share"
                case outOfSchemaShare = "out_of_schema_share"
                case alert
            }
        }

        var model: String
        var version: String
        var profile: Bool
        var enabled: Bool
        var window: Int
        var capacity: Int
        var minimumWindow: Int
        var threshold: Double
        var fields: [Field]

        enum CodingKeys: String, CodingKey {
            case model, version, profile, enabled, window, capacity
            case minimumWindow = "minimum_window"
            case threshold, fields
        }

        /// Six decimals are plenty for a share or a PSI.
        static func rounded(_ value: Double) -> Double { (value * 1e6).rounded() / 1e6 }

        init(_ served: ModelVersion) {
            model = served.name
            version = served.version
            threshold = served.bundle.model.monitor.psi
            guard let drift = served.drift else {
                profile = FileManager.default.fileExists(atPath: served.bundle.folder.appendingPathComponent(TrainingProfile.fileName).path)
                (enabled, window, capacity, minimumWindow, fields) = (false, 0, 0, DriftMonitor.minimumWindow, [])
                return
            }
            let stats = drift.stats()
            profile = drift.profile != nil
            enabled = true
            window = stats.window
            capacity = drift.capacity
            minimumWindow = drift.alertFrom
            fields = stats.fields.map {
                Field(name: $0.name, psi: $0.psi, missingShare: $0.missingShare, outOfSchemaShare: $0.outOfSchemaShare, alert: $0.alert)
            }
        }
    }

    func driftRoutes(_ router: Router<BasicRequestContext>) {
        router.get("/v2/models/{model}/stats") { _, context in
            try Self.json(DriftReport(try self.served(try context.parameters.require("model"), version: nil)))
        }
        router.get("/v2/models/{model}/versions/{version}/stats") { _, context in
            let name = try context.parameters.require("model")
            return try Self.json(DriftReport(try self.served(name, version: try context.parameters.require("version"))))
        }
    }

    /// The report as JSON with its keys in the order `DriftReport` writes them.
    static func json(_ report: DriftReport) throws -> Response {
        jsonResponse(.ok, data: Data(try JSONText.encodeBytes(report)))
    }

    /// The loaded `version` of `model`, or its current version: 404 naming the model (and version) otherwise.
    func served(_ model: String, version: String?) throws(ServeError) -> ModelVersion {
        guard let entry = registry.models().first(where: { $0.name == model }) else { throw ServeError.notFound(model: model) }
        if let version {
            guard let chosen = entry.versions.first(where: { $0.version == version }) else { throw ServeError.notFound(model: model, version: version) }
            return chosen
        }
        guard let current = entry.versions.first(where: { $0.version == entry.current }) ?? entry.versions.last else {
            throw ServeError.notFound(model: model)
        }
        return current
    }
}
