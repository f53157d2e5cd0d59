internal import Foundation
internal import Mustache

/// The dashboard's mustache templates and its stylesheet, embedded in the binary from
/// `Sources/Dashboard/Templates` (so an installed `mf` needs no files beside it). Every page
/// extends `layout`; values are HTML-escaped unless a template says otherwise, and no template
/// here does for a value that comes from the store.
enum PageTemplates {
    /// The templates by name, as the pages and partials refer to them.
    static let sources: [String: [UInt8]] = [
        "layout": PackageResources.layout_mustache,
        "models": PackageResources.models_mustache,
        "error": PackageResources.error_mustache,
        "login": PackageResources.login_mustache,
        "badge": PackageResources.badge_mustache,
        "chart": PackageResources.chart_mustache,
        "session": PackageResources.session_mustache,
        "style": PackageResources.style_css,
        "jobs": PackageResources.jobs_mustache,
        "history": PackageResources.history_mustache,
        "environment": PackageResources.environment_mustache,
        "event": PackageResources.event_mustache,
        // A model, a version, two versions compared, and a short link's choices.
        "model": PackageResources.model_mustache,
        "version": PackageResources.version_mustache,
        "compare": PackageResources.compare_mustache,
        "choices": PackageResources.choices_mustache,
    ]

    /// The stylesheet, served at `/ui/style.css` (and inlined in a written session report).
    static let stylesheet = String(decoding: PackageResources.style_css, as: UTF8.self)

    /// Every template, parsed once.
    static let library: MustacheLibrary = {
        var library = MustacheLibrary()
        for (name, bytes) in sources {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                // The templates are part of the binary; a broken one is a build defect the
                // dashboard's tests catch, so it is reported where it is.
                preconditionFailure("the dashboard's template \(name).mustache does not parse: \(error)")
            }
        }
        return library
    }()
}
