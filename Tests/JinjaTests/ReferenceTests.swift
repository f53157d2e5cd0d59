import Foundation
import Jinja
import Testing

/// The context of every reference case (context.json), as cookiecutter would pass it.
let referenceContext: Value.Dictionary = {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("context.json")
    let text = (try? String(contentsOf: url, encoding: .utf8)) ?? "{}"
    return Value.Dictionary([("cookiecutter", (try? JSON.parse(text)) ?? .none)])
}()

/// Each snippet of cases.txt against what real Jinja (as cookiecutter configures it) printed, or
/// against Jinja's refusal: `make_cases.py` wrote the expectations.
@Suite struct ReferenceTests {
    @Test(arguments: referenceCases.indices)
    func matchesJinja(_ index: Int) throws {
        let (source, expected) = referenceCases[index]
        if let expected {
            let rendered = try Template(source).render(referenceContext)
            #expect(rendered == expected, "template: \(source)")
        } else {
            #expect(throws: TemplateError.self, "template: \(source)") { try Template(source).render(referenceContext) }
        }
    }
}
