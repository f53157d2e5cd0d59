import Foundation
import Jinja
import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct ScaffoldUnitTests {
    @Test func fnmatchIsPythons() {
        #expect(fnmatch("*.html", "docs/index.html"))  // * crosses /
        #expect(fnmatch("docs/*", "docs/a/b.md"))
        #expect(fnmatch("file?.txt", "file1.txt") && !fnmatch("file?.txt", "file10.txt"))
        #expect(fnmatch("[ab]*", "beta") && !fnmatch("[!ab]*", "beta"))
        #expect(fnmatch("{{cookiecutter.x}}/*.js", "{{cookiecutter.x}}/app.js"))
        #expect(!fnmatch("*.html", "index.htm"))
        // Matched directly, as the regular expression it translates to matches.
        let patterns = [
            "*", "*.py", "data/*.csv", "a?c", "[a-c]*", "[!a-c]x", "[-a]b", "[a-]b", "x[", "[]x", "[]]", "**/*.md",
            "*a*b*", "[0-9][0-9]", "a*", "[[]x", "[a&&b]", "\\*",
        ]
        let names = [
            "", "a", "abc", "axc", "a/b/c.md", "data/train.csv", "data/x/y.csv", "model.py", "-b", "ab", "zx", "x[", "]x",
            "]", "42", "a\nb", "a\rb", "\n", "ba", "[x", "*", "\\x",
        ]
        for pattern in patterns {
            for name in names {
                #expect(fnmatch(pattern, name) == fnmatchByRegularExpression(pattern, name), "\(pattern) \(name)")
            }
        }
    }

    @Test func newlineStyleIsWhatPythonReports() {
        #expect(Generator.newline(of: Data("a\r\nb\r\n".utf8), configured: nil) == "\r\n")
        #expect(Generator.newline(of: Data("a\rb\r".utf8), configured: nil) == "\r")
        #expect(Generator.newline(of: Data("a\r\nb\n".utf8), configured: nil) == "\n")  // mixed: LF before CRLF
        #expect(Generator.newline(of: Data("a\nb\r".utf8), configured: nil) == "\r")  // mixed: CR first
        #expect(Generator.newline(of: Data("no newline".utf8), configured: nil) == "\n")
        #expect(Generator.newline(of: Data("a\nb".utf8), configured: "\r\n") == "\r\n")
    }

    @Test func overridesFollowCookiecutter() throws {
        let variables = try #require(
            {
                if case .dict(let d) = try JSON.parse(#"{"name": "x", "license": ["MIT", "BSD"], "ci": true, "d": {"a": {"b": 1, "c": 2}}}"#) { d } else { nil }
            }())
        let (applied, ignored) = try Answers.applying([("license", "BSD"), ("ci", "no"), ("d", #"{"a": {"b": 9}}"#), ("zzz", "1")], to: variables)
        #expect(applied["license"] == .list([.string("BSD"), .string("MIT")]))
        #expect(applied["ci"] == .bool(false))
        #expect(try applied["d"]?.repr() == "{'a': {'b': 9, 'c': 2}}")
        #expect(ignored == ["zzz"])
        #expect(throws: ScaffoldError.self) { try Answers.applying([("license", "GPL")], to: variables) }
        #expect(throws: ScaffoldError.self) { try Answers.applying([("ci", "maybe")], to: variables) }
    }

    @Test func defaultsRenderAgainstEarlierAnswersAndDictsLast() throws {
        let variables = try #require(
            {
                if case .dict(let d) = try JSON.parse(
                    #"""
                    {"name": "My Model", "slug": "{{ cookiecutter.name|slugify }}", "meta": {"{{ cookiecutter.slug }}": "{{ cookiecutter.later }}"},
                     "later": "L", "port": 8080, "off": false, "none": null, "_raw": "{{ x }}", "__hidden": "{{ cookiecutter.slug }}!",
                     "__prompts__": {"name": "Name?"}}
                    """#)
                {
                    d
                } else {
                    nil
                }
            }())
        let answers = try Answers.resolve(variables, environment: Jinja.Environment(), prompter: nil)
        #expect(answers.keys == ["name", "slug", "later", "port", "off", "none", "_raw", "__hidden", "meta"])
        #expect(answers["slug"] == .string("my-model"))
        #expect(answers["port"] == .string("8080"))
        #expect(answers["off"] == .bool(false) && answers["none"] == Value.none)
        #expect(answers["_raw"] == .string("{{ x }}") && answers["__hidden"] == .string("my-model!"))
        #expect(try answers["meta"]?.repr() == "{'my-model': 'L'}")
    }

    @Test func repositoryURLs() {
        for url in ["https://github.com/a/b.git", "git@github.com:a/b.git", "file:///tmp/x", "ssh://host/x", "gh:a/b", "git+https://x/y"] {
            #expect(Scaffolder.isRepositoryURL(url), "\(url)")
        }
        for path in ["templates/python-model", "./x", "/tmp/x", "python-model"] { #expect(!Scaffolder.isRepositoryURL(path), "\(path)") }
        #expect(Scaffolder.expandAbbreviation("gh:owner/repo") == "https://github.com/owner/repo.git")
    }

    /// What a replay file records of its template, and how a request is completed from it: the
    /// record fills in what the command line leaves out, and never overrides what it says.
    @Test func aReplayFileCompletesTheRequest() throws {
        let folder = TemporaryDirectory("record")
        let commit = String(repeating: "ab", count: 20)
        try folder.write(
            "full.json",
            """
            {"cookiecutter": {"name": "x"}, "_mf": {"template": "https://example.com/t.git", "checkout": "v1", "commit": "\(commit)", "directory": "sub"}}
            """)
        try folder.write("plain.json", "{\"cookiecutter\": {\"name\": \"x\"}}")
        try folder.write("bad-commit.json", "{\"cookiecutter\": {}, \"_mf\": {\"template\": \"t\", \"commit\": \"v1\"}}")
        try folder.write("no-template.json", "{\"cookiecutter\": {}, \"_mf\": {\"commit\": null}}")
        let full = URL(fileURLWithPath: folder.appending("full.json"))
        #expect(
            try TemplateSource.recorded(in: full)
                == TemplateSource(template: "https://example.com/t.git", checkout: "v1", commit: commit, directory: "sub"))
        #expect(try TemplateSource.recorded(in: URL(fileURLWithPath: folder.appending("plain.json"))) == nil)
        #expect(throws: ScaffoldError.self) { try TemplateSource.recorded(in: URL(fileURLWithPath: folder.appending("bad-commit.json"))) }
        #expect(throws: ScaffoldError.self) { try TemplateSource.recorded(in: URL(fileURLWithPath: folder.appending("no-template.json"))) }

        let scaffolder = Scaffolder(builtInTemplates: nil, home: URL(fileURLWithPath: folder.appending("home")))
        let output = URL(fileURLWithPath: folder.path)
        // No TEMPLATE: everything recorded.
        let (replayed, template) = try scaffolder.completing(ScaffoldRequest(replaying: full, outputDirectory: output))
        #expect(template == "https://example.com/t.git")
        #expect(replayed.checkout == "v1" && replayed.commit == commit && replayed.directory == "sub")
        // --checkout asks for the ref as it is now; --directory another folder.
        var request = ScaffoldRequest(replaying: full, outputDirectory: output)
        request.checkout = "main"
        request.directory = "other"
        let (moved, _) = try scaffolder.completing(request)
        #expect(moved.checkout == "main" && moved.commit == nil && moved.directory == "other")
        // Another TEMPLATE: the record is only answers.
        request = ScaffoldRequest(template: "https://example.com/another.git", outputDirectory: output)
        request.replay = .file(full)
        let (other, otherTemplate) = try scaffolder.completing(request)
        #expect(otherTemplate == "https://example.com/another.git" && other.checkout == nil && other.commit == nil && other.directory == nil)
        // A replay file without a record needs TEMPLATE.
        #expect(throws: ScaffoldError.self) {
            try scaffolder.completing(ScaffoldRequest(replaying: URL(fileURLWithPath: folder.appending("plain.json")), outputDirectory: output))
        }
    }
}
