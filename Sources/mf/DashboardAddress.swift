import ArgumentParser
import Foundation

/// Where the dashboard is, for the links in notifications (`mf worker` and `mf serve`):
/// `--ui-url`, else `$MF_UI_URL`.
enum DashboardAddress {
    /// The address given by the flag or the environment; nil when neither (or an empty one) is.
    static func resolve(_ flag: String?) -> String? {
        (flag ?? ProcessInfo.processInfo.environment["MF_UI_URL"]).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Refuses an address that is not an http or https URL without a query or fragment.
    static func validate(_ flag: String?) throws {
        guard let address = resolve(flag) else { return }
        guard let url = URL(string: address), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false, url.query == nil,
            url.fragment == nil
        else {
            throw ValidationError(
                "\(flag == nil ? "$MF_UI_URL" : "--ui-url") \(address): expected the dashboard's http or https address, such as https://factory.example/ui")
        }
    }
}
