import Foundation
import Jinja
import Testing

@Suite struct TemplateTests {
    func render(_ source: String, _ context: [(String, Value)] = [], environment: Jinja.Environment = Jinja.Environment()) throws -> String {
        try Template(source, environment: environment).render(Value.Dictionary(context))
    }

    @Test func trimAndLstripBlocks() throws {
        var environment = Jinja.Environment()
        environment.trimBlocks = true
        environment.lstripBlocks = true
        let source = "a\n    {% if true %}\n  b\n    {% endif %}\nc\n    {%+ if true %}x{% endif +%}\nd"
        #expect(try render(source, environment: environment) == "a\n  b\nc\n    x\nd")
        #expect(try render(source) == "a\n    \n  b\n    \nc\n    x\nd")
    }

    /// With lstrip_blocks an indented `{% endraw %}` loses its indentation too (Jinja 3.1.6).
    @Test func lstripBlocksBeforeEndraw() throws {
        var environment = Jinja.Environment()
        environment.lstripBlocks = true
        #expect(try render("{% raw %}\n  x\n  {% endraw %}\ny", environment: environment) == "\n  x\n\ny")
        environment.trimBlocks = true
        #expect(try render("{% raw %}\n  x\n  {% endraw %}\ny", environment: environment) == "\n  x\ny")
    }

    @Test func autoescapeIsRefused() throws {
        #expect(throws: TemplateError.self) { try Jinja.Environment(options: Value.Dictionary([("autoescape", .bool(true))])) }
        #expect(throws: Never.self) { try Jinja.Environment(options: Value.Dictionary([("autoescape", .bool(false))])) }
    }

    @Test func newlinesInTheTemplateBecomeLineFeeds() throws {
        #expect(try render("a\r\nb\rc\n") == "a\nb\nc\n")
    }

    @Test func errorsNameTheLine() throws {
        do {
            _ = try Template("one\ntwo\n{{ missing }}\n", name: "f.txt").render(Value.Dictionary())
            Issue.record("rendered an undefined name")
        } catch let error as TemplateError {
            #expect(error.kind == .undefined && error.line == 3 && error.template == "f.txt")
            #expect(error.description == "f.txt:3: 'missing' is undefined")
        }
        do {
            _ = try Template("ok\n{% for x in y %}\nno end\n")
            Issue.record("parsed an unclosed for")
        } catch let error as TemplateError {
            #expect(error.kind == .syntax)
            #expect(error.message.contains("'endfor'"))
        }
        #expect(throws: TemplateError.self) { try Template("{% include 'x.txt' %}") }
        #expect(throws: TemplateError.self) { try render("{{ 'a' | nosuchfilter }}") }
    }

    @Test func nowUsesTheClockTimeZoneAndShift() throws {
        var environment = Jinja.Environment()
        environment.now = { Date(timeIntervalSince1970: 1_767_225_600) }  // 2026-01-01T00:00:00Z
        #expect(try render("{% now 'utc' %}", environment: environment) == "2026-01-01")
        #expect(try render("{% now 'utc', '%Y/%m/%d %H:%M %a %b %j' %}", environment: environment) == "2026/01/01 00:00 Thu Jan 001")
        #expect(try render("{% now 'utc' - 'days=1, hours=2', '%Y-%m-%d %H' %}", environment: environment) == "2025-12-30 22")
        #expect(try render("{% now 'America/New_York', '%H %z' %}", environment: environment) == "19 -0500")
        #expect(throws: TemplateError.self) { try render("{% now 'Mars/Base' %}", environment: environment) }
    }

    @Test func generatedValuesHaveTheirShape() throws {
        let uuid = try render("{{ uuid4() }}")
        #expect(UUID(uuidString: uuid) != nil && uuid == uuid.lowercased())
        let random = try render("{{ random_ascii_string(12) }}")
        #expect(random.count == 12 && random.allSatisfy { $0.isASCII && $0.isLetter })
    }

    @Test func jsonKeepsOrderAndNumbers() throws {
        let value = try JSON.parse(#"{"b": 1, "a": [1.5, 1e3, true, null, "\u00e9"], "big": 123456789012345678901}"#)
        guard case .dict(let dict) = value else {
            Issue.record("not a dict")
            return
        }
        #expect(dict.keys == ["b", "a", "big"])
        #expect(try value.repr() == "{'b': 1, 'a': [1.5, 1000.0, True, None, 'é'], 'big': '123456789012345678901'}")
        #expect(try JSON.dumps(value, indent: nil) == #"{"a": [1.5, 1000.0, true, null, "\u00e9"], "b": 1, "big": "123456789012345678901"}"#)
        #expect(throws: JSON.SyntaxError.self) { try JSON.parse("{\"a\": 1,}") }
    }

    /// Nothing a template says may crash the renderer.
    @Test(arguments: [
        "{{", "{%", "{#", "{{ }}", "{% %}", "{{ ((((", "{{ [1, 2 }}", "{{ 'abc'[5:1:-1] }}", "{{ 1 // 0 }}",
        "{{ 2 ** 100 }}", "{{ 9223372036854775807 + 1 }}", "{{ range(10000000) }}", "{{ 'x' * -1 }}", "{% set %}",
        "{{ ''.join([1]) }}", "{{ {}.x.y }}", "{% for a, b in [1] %}{% endfor %}", "{{ -'a' }}", "{{ 1 < 'a' }}",
        "{% raw %}", "{{ '\\u12' }}", "{{ 'a' is nosuchtest }}", "{{ loop }}",
        "{{ '%@d' % 1 }}", "{{ '%*d' % 5 }}", "{{ '%d' % 1e20 }}", "{{ '%(a)s' % 1 }}", "{{ range(-1, 9223372036854775807) }}",
        "{{ -(-9223372036854775807 - 1) }}", "{{ (-9223372036854775807 - 1) // -1 }}", "{{ (-9223372036854775807 - 1) % -1 }}",
        "{{ (-9223372036854775807 - 1)|abs }}", "{{ 'a,b'.split(',', 9223372036854775807) }}", "{% now 'utc' + 'years=1e20' %}",
        "{{ 'x' * 1000000000000 }}", "{{ [1] * 1000000000000 }}", "{{ 'x'.center(1000000000000) }}",
        "{{ random_ascii_string(1000000000000) }}", "{{ 99999999999999999999 }}", "{{ 3 is divisibleby 0 }}", "{{ 1e300|int }}",
        "{{ 'x'|int(base=99) }}", "{{ true + 9223372036854775807 }}", "{{ 'x'|indent(1000000000000) }}",
        "{{ {}|jsonify(-5) }}", "{{ '9'|int(base=1) }}", "{{ 'x'.zfill(1000000000000) }}",
    ])
    func malformedTemplatesThrow(_ source: String) {
        do { _ = try render(source) } catch is TemplateError {} catch { Issue.record("unexpected error type: \(error)") }
    }
}
