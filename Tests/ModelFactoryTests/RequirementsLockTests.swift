import Foundation
import TestSupport
import Testing

@testable import ModelFactory

@Suite(.onTestThreads) struct RequirementsLockTests {
    /// A report as `pip install --report` (pip 23) writes it, trimmed to what the lock reads.
    func report(_ items: [(name: String, version: String, sha256: String?)]) -> Data {
        let install = items.map { item -> [String: Any] in
            var download: [String: Any] = ["url": "https://files.pythonhosted.org/packages/x/\(item.name)-\(item.version).whl"]
            if let sha256 = item.sha256 {
                download["archive_info"] = ["hash": "sha256=\(sha256)", "hashes": ["sha256": sha256]]
            } else {
                download["dir_info"] = [:] as [String: Any]
            }
            return ["metadata": ["name": item.name, "version": item.version], "download_info": download, "is_direct": false]
        }
        return try! JSONSerialization.data(withJSONObject: ["version": "1", "pip_version": "23.2.1", "install": install])
    }

    @Test func pinsEveryDistributionWithItsHashByName() throws {
        let text = try RequirementsLock.text(fromReport: report([("Scikit_Learn", "1.9.1", "aa"), ("numpy", "2.3.0", "bb")]))
        #expect(
            text == """
                # Installed by the build, pinned with pip's hashes: pip install --require-hashes -r requirements.lock
                numpy==2.3.0 \\
                    --hash=sha256:bb
                scikit-learn==1.9.1 \\
                    --hash=sha256:aa

                """)
    }

    /// pip refuses a file where only some lines carry hashes: one without means none do, and why.
    @Test func oneUnhashedDistributionMeansNoHashes() throws {
        let text = try RequirementsLock.text(fromReport: report([("six", "1.16.0", "cc"), ("local-pkg", "0.1", nil)]))
        #expect(text == "# Pinned without hashes: local-pkg came from no archive pip could hash.\nlocal-pkg==0.1\nsix==1.16.0\n")
    }

    @Test func aBrokenReportThrows() {
        #expect(throws: DecodingError.self) { try RequirementsLock.text(fromReport: Data("{\"install\": 3}".utf8)) }
    }
}
