internal import Foundation
public import GitKit

/// A small model repository that has walked the whole branch flow, made through the git layer
/// alone: the demo's subject and a fixture for tests.
///
/// Its history: an initial commit on `master` and `development`; `feature/scaling` merged into
/// `development`; `development` released to `master` as `v1.0.0`; `hotfix/threshold` forked
/// from `v1.0.0`, merged into `master` as `v1.0.1` and back into `development`; and
/// `feature/new-metric` still open. HEAD is on `development`, checked out.
public enum DemoRepository {
    /// Creates the repository at `path`, which must not exist or be empty. Commit times are
    /// fixed, so every run gives the same commit ids.
    @discardableResult
    public static func create(at path: String) throws(GitError) -> Repository {
        let repository = try Repository.create(at: path, initialBranch: "master")
        var clock = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z
        func person() -> Signature {
            clock.addTimeInterval(3600)
            return Signature(name: "Dana Modeller", email: "dana@example.com", time: clock)
        }
        var files: [String: String] = [
            "README.md": "# churn\n\nA demo model repository made by `mf demo`.\n",
            ".mf/flow.yaml":
                "production: master\ndevelopment: development\nprefixes:\n  feature: feature/\n  hotfix: hotfix/\n  release: release/\n  versiontag: v\n",
            "model.yaml": "name: churn\nruntime: command\nrun: [\"./model.sh\"]\n",
            "model.sh": "#!/bin/sh\n# threshold=0.5\n",
        ]
        func tree(_ files: [String: String]) throws(GitError) -> ObjectID {
            try repository.writeTree(files.map { FileEntry(path: $0.key, text: $0.value, mode: $0.key.hasSuffix(".sh") ? .executable : .file) })
        }
        func commit(_ message: String, parents: [ObjectID], on branch: String) throws(GitError) -> ObjectID {
            try repository.commit(tree: tree(files), parents: parents, message: message, author: person(), updating: "refs/heads/" + branch)
        }
        func merge(_ theirs: ObjectID, into ours: ObjectID, branch: String, message: String) throws(GitError) -> ObjectID {
            let merged = try repository.mergeTree(ours: ours, theirs: theirs)
            return try repository.commit(tree: merged, parents: [ours, theirs], message: message, author: person(), updating: "refs/heads/" + branch)
        }

        let root = try commit("Start the churn model", parents: [], on: "master")
        try repository.createBranch("development", at: root)

        files["features.txt"] = "tenure\ncontract\nmonthly_charges\n"
        let feature = try commit("Add monthly charges as a feature", parents: [root], on: "feature/scaling")
        var development = try merge(feature, into: root, branch: "development", message: "Merge branch 'feature/scaling' into development")

        var master = try merge(development, into: root, branch: "master", message: "Release 1.0.0")
        let tagger = person()
        try repository.createTag("v1.0.0", at: master, message: "Release 1.0.0\n", tagger: tagger)
        try repository.deleteReference("refs/heads/feature/scaling")

        files["model.sh"] = "#!/bin/sh\n# threshold=0.4\n"
        let fix = try commit("Lower the decision threshold", parents: [master], on: "hotfix/threshold")
        master = try merge(fix, into: master, branch: "master", message: "Merge branch 'hotfix/threshold' (1.0.1)")
        try repository.createTag("v1.0.1", at: master, message: "Hotfix 1.0.1\n", tagger: person())
        development = try merge(master, into: development, branch: "development", message: "Merge tag 'v1.0.1' into development")
        try repository.deleteReference("refs/heads/hotfix/threshold")

        files["metrics.txt"] = "auc\nlog_loss\n"
        _ = try commit("Report log loss too", parents: [development], on: "feature/new-metric")

        try repository.setHead("refs/heads/development")
        try repository.checkoutHead(force: true)
        return repository
    }
}
