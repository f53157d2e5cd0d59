import Foundation
import TestSupport
import Testing

/// A Unix socket bound at `path`: a file that exists and cannot be opened for reading.
/// Returns the socket's descriptor (close it when done).
func boundSocket(at path: String) throws -> Int32 {
    let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        let bytes = Array(path.utf8.prefix(raw.count - 1))
        raw.copyBytes(from: bytes)
    }
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard descriptor >= 0, bound == 0 else { throw HTTPClientError(description: "cannot bind a socket at \(path)") }
    return descriptor
}

/// Every file a command is given: missing, a folder where a file belongs, or unreadable, it is one
/// sentence naming the path and why, never Foundation's error dump.
@Suite(.onTestThreads) struct InputFileTests {
    @Test func predictInput() throws {
        let fixture = try BuildCommandTests().modelRepository()
        let home = TemporaryDirectory("home")
        let missing = fixture.directory.appending("nope.json")
        expectOneLineError(
            try mf(["predict", "--input", missing, "--repo", fixture.path, "--home", home.path]),
            containing: "cannot read --input \(missing): there is no such file")
        expectOneLineError(
            try mf(["predict", "--input", fixture.directory.path, "--repo", fixture.path, "--home", home.path]),
            containing: "cannot read --input \(fixture.directory.path): it is a folder, not a file")
        let socketPath = fixture.directory.appending("in.sock")
        let descriptor = try boundSocket(at: socketPath)
        defer { close(descriptor) }
        expectOneLineError(
            try mf(["predict", "--input", socketPath, "--repo", fixture.path, "--home", home.path]),
            containing: "cannot read --input \(socketPath): no such device or address")
        // Nothing was built or recorded for an input that could not be read.
        #expect(!FileManager.default.fileExists(atPath: home.appending("sessions")))
    }

    @Test func webhookSecretFile() throws {
        let folder = TemporaryDirectory("secret")
        let home = TemporaryDirectory("home")
        let missing = folder.appending("secret.txt")
        expectOneLineError(
            try mf(["webhook", "--secret-file", missing, "--port", "0", "--home", home.path]),
            containing: "cannot read --secret-file \(missing): there is no such file")
        expectOneLineError(
            try mf(["webhook", "--secret-file", folder.path, "--port", "0", "--home", home.path]),
            containing: "cannot read --secret-file \(folder.path): it is a folder, not a file")
    }

    @Test func scaffoldReplayFile() throws {
        let folder = TemporaryDirectory("replay")
        let missing = folder.appending("answers.json")
        expectOneLineError(
            try mf(["scaffold", "python-model", "--replay-file", missing, "-o", folder.path, "--no-git"]),
            containing: "cannot read --replay-file \(missing): there is no such file")
        expectOneLineError(
            try mf(["scaffold", "python-model", "--replay-file", folder.path, "-o", folder.path, "--no-git"]),
            containing: "cannot read --replay-file \(folder.path): it is a folder, not a file")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    @Test func templatesFolders() throws {
        let folder = TemporaryDirectory("templates")
        let missing = folder.appending("nope")
        expectOneLineError(
            try mf(["scaffold", "python-model", "--templates", missing, "-o", folder.path, "--no-input", "--no-git"]),
            containing: "cannot use --templates \(missing): there is no such folder")
        try folder.write("file.txt", "x\n")
        expectOneLineError(
            try mf(["demo", "--templates", folder.appending("file.txt"), "--path", folder.appending("demo")]),
            containing: "cannot use --templates \(folder.appending("file.txt")): it is a file, not a folder")
    }

    /// A hook that would run a program that is not there is not installed.
    @Test func hookProgram() throws {
        let fixture = try GitFixture("bare", bare: true)
        let missing = fixture.directory.appending("mf")
        expectOneLineError(
            try mf(["hook", "install", "--repo", fixture.path, "--mf", missing, "--home", TemporaryDirectory("home").path]),
            containing: "cannot use --mf \(missing): there is no such file")
        try fixture.directory.write("mf", "#!/bin/sh\n")
        expectOneLineError(
            try mf(["hook", "install", "--repo", fixture.path, "--mf", missing, "--home", TemporaryDirectory("home").path]),
            containing: "cannot use --mf \(missing): it is not executable")
        #expect(!FileManager.default.fileExists(atPath: fixture.path + "/hooks/post-receive"))
    }

    @Test func reportOutput() throws {
        let fixture = try BuildCommandTests().modelRepository()
        let home = TemporaryDirectory("home")
        #expect(try mf(["build", "--repo", fixture.path, "--home", home.path]).status == 0)
        let folder = TemporaryDirectory("report")
        expectOneLineError(
            try mf(["report", "v9", "-o", folder.appending("x.html"), "--home", home.path]), containing: "no session or version 'v9'")
        let session = try #require((try json(try mf(["sessions", "--home", home.path, "--json"])) as? [[String: Any]])?.first?["id"] as? String)
        expectOneLineError(
            try mf(["report", session, "-o", folder.path, "--home", home.path]),
            containing: "cannot write the report to \(folder.path): it is a folder; name a file")
        try folder.write("file.txt", "x\n")
        expectOneLineError(
            try mf(["report", session, "-o", folder.appending("file.txt/page.html"), "--home", home.path]),
            containing: "cannot write the report to \(folder.appending("file.txt/page.html")): \(folder.appending("file.txt")) is a file, not a folder")
    }

    @Test(arguments: ["verify", "serve"])
    func bundlePaths(command: String) throws {
        let folder = TemporaryDirectory("bundle")
        let home = TemporaryDirectory("home")
        let extra = command == "serve" ? ["--port", "0"] : []
        let missing = folder.appending("churn-1.0.0.tar.gz")
        expectOneLineError(try mf([command, missing, "--home", home.path] + extra), containing: "\(missing) is not a bundle: it does not exist")
        try folder.write("notes.txt", "not an archive\n")
        expectOneLineError(
            try mf([command, folder.appending("notes.txt"), "--home", home.path] + extra), containing: "\(folder.appending("notes.txt")) is not a bundle: ")
        try folder.write("empty/readme.txt", "no bundle.json here\n")
        expectOneLineError(
            try mf([command, folder.appending("empty"), "--home", home.path] + extra),
            containing: "\(folder.appending("empty")) is not a bundle: it has no bundle.json")
        try folder.write("broken/bundle.json", #"{"format": 1, "model": "churn"}"#)
        expectOneLineError(
            try mf([command, folder.appending("broken"), "--home", home.path] + extra),
            containing: "\(folder.appending("broken")) is not a bundle: its bundle.json cannot be read: \"version\" is missing")
        let socketPath = folder.appending("b.sock")
        let descriptor = try boundSocket(at: socketPath)
        defer { close(descriptor) }
        expectOneLineError(
            try mf([command, socketPath, "--home", home.path] + extra),
            containing: "\(socketPath) is not a bundle: it cannot be read (no such device or address)")
    }
}
