import Foundation
import Store
import SystemKit
import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct BundleManifestTests {
    /// A bundle.json with `gates` as given, listing the one file `plugin/model.py`.
    func manifestJSON(gates: String, file: Data) -> String {
        """
        {"format": 1, "model": "churn", "version": "1.0.0", "tag": "v1.0.0", "ref": "refs/tags/v1.0.0", "commit": "c", "tree": "t",
         "session": "s", "runtime": "python", "run": ["python3", "model.py"], "interface": "mf-worker/1", "toolchain": {"mf": "0.1.0"},
         "schema": {"inputs": [], "outputs": []}, "metrics": {"auc": 0.9}, "gates": \(gates),
         "files": [{"path": "plugin/model.py", "size": \(file.count), "sha256": "\(HexDigest.sha256(file))"}]}
        """
    }

    /// Gates are objects now; a bundle made when they were strings still reads (each a gate that
    /// held) and still verifies, its bytes untouched.
    @Test func gatesReadInBothForms() throws {
        let file = Data("print('hi')\n".utf8)
        let current = try JSONDecoder().decode(
            BundleManifest.self,
            from: Data(
                manifestJSON(
                    gates: #"[{"gate": "auc >= 0.8", "passed": true, "detail": "auc >= 0.8: 0.9"}]"#, file: file
                ).utf8))
        let gate = BundleManifest.Gate(GateResult(gate: "auc >= 0.8", passed: true, detail: "auc >= 0.8: 0.9"))
        #expect(current.gates == [gate])
        let old = try JSONDecoder().decode(BundleManifest.self, from: Data(manifestJSON(gates: #"["auc >= 0.8: 0.9"]"#, file: file).utf8))
        #expect(old.gates == [gate])
        // Written as objects, in the key order every home writes.
        #expect(
            String(decoding: try JSONText.encodeBytes([gate]), as: UTF8.self).filter { !$0.isWhitespace }
                == #"[{"gate":"auc>=0.8","passed":true,"detail":"auc>=0.8:0.9"}]"#)

        let folder = TemporaryDirectory("old-bundle")
        try folder.write("plugin/model.py", String(decoding: file, as: UTF8.self))
        try folder.write("bundle.json", manifestJSON(gates: #"["auc >= 0.8: 0.9"]"#, file: file))
        let verified = try BundleVerifier.verify(URL(fileURLWithPath: folder.path))
        #expect(verified.differences.isEmpty && verified.manifest.gates == [gate], "\(verified.differences)")
    }
}
