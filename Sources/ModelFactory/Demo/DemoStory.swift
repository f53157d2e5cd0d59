public import Foundation
public import GitKit

/// The README's main job: a model's whole life in one run. It scaffolds a model repository from
/// the `python-model` template, works on it as a data scientist would (a feature branch merged
/// into development, release `v1.0.0`, a hotfix released as `v1.0.1` and merged back, a feature
/// still open), every git step through GitKit on the work tree; the caller then reconciles and
/// shows what the factory made.
public struct DemoStory: Sendable {
    /// Where the story happens: the repository is made in it (must not exist yet).
    public let workspace: URL
    /// The factory's home for the story.
    public let home: URL
    /// The built-in templates (the folder holding `python-model`).
    public let templates: URL?

    /// A story in `workspace` (which must not exist yet), with `home` as the factory's home and the built-in templates in `templates`.
    public init(workspace: URL, home: URL, templates: URL?) {
        self.workspace = workspace
        self.home = home
        self.templates = templates
    }

    /// One step of the story, as a user would have done it by hand.
    public struct Step: Sendable, Encodable {
        /// What the step does, as the demo prints it.
        public let title: String
        /// The commands that do the same with git and mf.
        public let commands: [String]
        /// The commit the step made (a full id), or a short note naming several; nil when it made none.
        public let commit: String?

        /// A step with its title, the equivalent commands, and the commit it made.
        public init(title: String, commands: [String], commit: String?) {
            self.title = title
            self.commands = commands
            self.commit = commit
        }
    }

    /// Runs the git part of the story (up to the open feature, with a rollout declared on
    /// development for the next release) and returns the repository; `narrate` hears each step
    /// as it is done.
    public func walk(narrate: (Step) -> Void) async throws -> Repository {
        if FileManager.default.fileExists(atPath: workspace.path) {
            throw ScaffoldError.outputExists(path: workspace.path)
        }
        try FileManager.default.createDirectory(at: workspace, withIntermediateDirectories: true)
        var request = ScaffoldRequest(template: "python-model", outputDirectory: workspace)
        request.extraContext = [("model_name", "Churn")]
        let scaffolded = try await Scaffolder(builtInTemplates: templates, home: home).scaffold(request)
        let repository = try Repository.open(at: scaffolded.project)
        let git = WorkTree(repository: repository)
        narrate(
            Step(
                title: "Scaffold the model repository from the python-model template (master and development, one commit)",
                commands: ["mf scaffold python-model --set model_name=Churn --no-input -o \(workspace.path)"],
                commit: scaffolded.repository?.commit))

        try git.branch("feature/regularise", from: "development")
        let regularised = try git.commit("Regularise the classifier", on: "feature/regularise", editing: "model.py") {
            $0.replacingOccurrences(of: "LogisticRegression(random_state=seed)", with: "LogisticRegression(C=0.5, random_state=seed)")
        }
        narrate(
            Step(
                title: "Work on a feature branch: regularise the classifier",
                commands: ["git checkout -b feature/regularise development", "$EDITOR model.py", "git commit -am 'Regularise the classifier'"],
                commit: regularised.hex))

        let developed = try git.merge("feature/regularise", into: "development", message: "Merge branch 'feature/regularise' into development")
        try git.delete("feature/regularise")
        narrate(
            Step(
                title: "Merge the feature into development",
                commands: ["git checkout development", "git merge --no-ff feature/regularise", "git branch -d feature/regularise"],
                commit: developed.hex))

        let released = try git.merge("development", into: "master", message: "Release 1.0.0")
        try repository.createTag("v1.0.0", at: released, message: "Release 1.0.0\n", tagger: git.person())
        narrate(
            Step(
                title: "Release v1.0.0: development merged into master and tagged",
                commands: ["git checkout master", "git merge --no-ff development -m 'Release 1.0.0'", "git tag -a v1.0.0 -m 'Release 1.0.0'"],
                commit: released.hex))

        try git.branch("hotfix/1.0.1", from: "master")
        let fix = try git.commit("Refuse monthly charges above 10000", on: "hotfix/1.0.1", editing: "model.yaml") {
            $0.replacingOccurrences(of: "{ name: monthly_charges, type: double, min: 0 }", with: "{ name: monthly_charges, type: double, min: 0, max: 10000 }")
        }
        let hotfixed = try git.merge("hotfix/1.0.1", into: "master", message: "Merge branch 'hotfix/1.0.1' (1.0.1)")
        try repository.createTag("v1.0.1", at: hotfixed, message: "Hotfix 1.0.1\n", tagger: git.person())
        let back = try git.merge("master", into: "development", message: "Merge tag 'v1.0.1' into development")
        try git.delete("hotfix/1.0.1")
        narrate(
            Step(
                title: "Fix production on a hotfix branch, release it as v1.0.1, merge it back into development",
                commands: [
                    "git checkout -b hotfix/1.0.1 master", "$EDITOR model.yaml", "git commit -am 'Refuse monthly charges above 10000'",
                    "git checkout master", "git merge --no-ff hotfix/1.0.1", "git tag -a v1.0.1 -m 'Hotfix 1.0.1'",
                    "git checkout development", "git merge --no-ff master", "git branch -d hotfix/1.0.1",
                ],
                commit: "\(fix.short) on the hotfix, \(hotfixed.short) tagged, \(back.short) on development"))

        // Declared before the feature forks, so that v1.1.0 (the feature merged) has the tree the
        // feature's session was built and gated on, and reuses it.
        try declareRollout(repository, model: "churn", narrate: narrate)

        try git.branch("feature/balanced-classes", from: "development")
        let open = try git.commit("Weigh the classes equally", on: "feature/balanced-classes", editing: "model.py") {
            $0.replacingOccurrences(
                of: "LogisticRegression(C=0.5, random_state=seed)", with: "LogisticRegression(C=0.5, class_weight=\"balanced\", random_state=seed)")
        }
        // Balanced classes buy recall with precision (0.04 of it on the demo's data): the team says
        // how much a release may give up, or v1.1.0 fails max_regression against v1.0.1.
        let accepted = try git.commit(
            "Accept up to 0.05 less of a metric than the last release: balanced classes trade precision for recall", on: "feature/balanced-classes",
            editing: "model.yaml"
        ) {
            $0.replacingOccurrences(of: "max_regression: 0.02", with: "max_regression: 0.05")
        }
        try git.checkout("development")
        narrate(
            Step(
                title: "Start another feature, still open: balanced classes, and the precision the team accepts to give up for them",
                commands: [
                    "git checkout -b feature/balanced-classes development", "$EDITOR model.py", "git commit -am 'Weigh the classes equally'",
                    "$EDITOR model.yaml", "git commit -am 'Accept up to 0.05 less of a metric than the last release'",
                ],
                commit: "\(open.short), \(accepted.short)"))
        return repository
    }
}

extension DemoStory {
    /// The next release, while production is being served: the open feature is merged into
    /// development, development into master, and the merge tagged `v1.1.0`.
    public func releaseNext(_ repository: Repository, narrate: (Step) -> Void) throws {
        let git = WorkTree(repository: repository)
        let developed = try git.merge(
            "feature/balanced-classes", into: "development", message: "Merge branch 'feature/balanced-classes' into development")
        try git.delete("feature/balanced-classes")
        let released = try git.merge("development", into: "master", message: "Release 1.1.0")
        try repository.createTag("v1.1.0", at: released, message: "Release 1.1.0\n", tagger: git.person())
        try git.checkout("development")
        narrate(
            Step(
                title: "Release v1.1.0 while production is served: the feature into development, development into master, tagged",
                commands: [
                    "git checkout development", "git merge --no-ff feature/balanced-classes", "git branch -d feature/balanced-classes",
                    "git checkout master", "git merge --no-ff development -m 'Release 1.1.0'", "git tag -a v1.1.0 -m 'Release 1.1.0'",
                ],
                commit: "\(developed.short) on development, \(released.short) tagged"))
    }
}

extension DemoStory {
    /// How the next release of `model` is to reach production: a `rollout` block in
    /// `.mf/traffic.yaml`, committed on development so that the next release carries it to the
    /// production line (which reads it from there only). The new release gets 10 %, 50 %, then 100 % of the traffic, 100 of its
    /// requests a step, each step gated on its error rate and p99 latency.
    func declareRollout(_ repository: Repository, model: String, narrate: (Step) -> Void) throws {
        let git = WorkTree(repository: repository)
        let text = """
            # How a new release of \(model) reaches production: step by step, beside the release in
            # service, compared with it over each step (mf serve --follow production).
            \(model):
              rollout:
                steps: [10, 50, 100]
                step: { requests: 100 }
                gates: { error_rate: "<= 0.01", p99_ms: "<= 1000" }

            """
        let message = "Roll new releases of \(model) out step by step"
        let commit = try git.commit(message, on: "development", adding: ".mf/traffic.yaml", text: text)
        narrate(
            Step(
                title: "Declare on development how the next release reaches production: 10%, 50%, then 100% of the traffic, gated",
                commands: ["git checkout development", "$EDITOR .mf/traffic.yaml", "git add .mf/traffic.yaml", "git commit -m '\(message)'"],
                commit: commit.hex))
    }
}

/// Git on a work tree through GitKit, the way the demo's data scientist uses it.
struct WorkTree {
    let repository: Repository

    var folder: String { repository.location }

    func person() -> Signature { Signature(name: "Dana Modeller", email: "dana@example.com") }

    func head(_ branch: String) throws -> ObjectID {
        guard let commit = try repository.reference(named: "refs/heads/" + branch).commit else {
            throw GitError(code: .notFound, operation: "cannot read branch \(branch)", message: "it points at no commit", repository: folder)
        }
        return commit
    }

    func checkout(_ branch: String) throws {
        try repository.setHead("refs/heads/" + branch)
        try repository.checkoutHead(force: true)
    }

    func branch(_ name: String, from base: String) throws {
        try repository.createBranch(name, at: try head(base))
        try checkout(name)
    }

    func delete(_ branch: String) throws { try repository.deleteReference("refs/heads/" + branch) }

    /// Edits `path` in the work tree on `branch` and commits the work tree (ignore rules honoured).
    func commit(_ message: String, on branch: String, editing path: String, _ edit: (String) -> String) throws -> ObjectID {
        try checkout(branch)
        let file = URL(fileURLWithPath: folder).appendingPathComponent(path)
        let before = try String(contentsOf: file, encoding: .utf8)
        let after = edit(before)
        guard after != before else {
            throw ScaffoldError.io(path: file.path, problem: "the demo's edit does not apply to this template")
        }
        try Data(after.utf8).write(to: file)
        return try commitWorkTree(message, on: branch)
    }

    /// Adds the new file `path` holding `text` to the work tree on `branch` and commits the work tree.
    func commit(_ message: String, on branch: String, adding path: String, text: String) throws -> ObjectID {
        try checkout(branch)
        let file = URL(fileURLWithPath: folder).appendingPathComponent(path)
        guard !FileManager.default.fileExists(atPath: file.path) else {
            throw ScaffoldError.io(path: file.path, problem: "the demo adds this file, but the template already has it")
        }
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return try commitWorkTree(message, on: branch)
    }

    /// Commits the work tree (ignore rules honoured) on `branch`, which is checked out.
    private func commitWorkTree(_ message: String, on branch: String) throws -> ObjectID {
        let tree = try repository.writeTree(fromDirectory: folder, honoringIgnoreRules: true)
        let commit = try repository.commit(tree: tree, parents: [try head(branch)], message: message + "\n", author: person(), updating: "refs/heads/" + branch)
        try repository.checkoutHead(force: true)
        return commit
    }

    /// Merges `branch` into `target` with a merge commit (as `git merge --no-ff`), on the work tree.
    func merge(_ branch: String, into target: String, message: String) throws -> ObjectID {
        let ours = try head(target)
        let theirs = try head(branch)
        let tree = try repository.mergeTree(ours: ours, theirs: theirs)
        let commit = try repository.commit(tree: tree, parents: [ours, theirs], message: message + "\n", author: person(), updating: "refs/heads/" + target)
        try checkout(target)
        return commit
    }
}
