public import Foundation

/// The factory's record of every run, as every part sees it: repositories, models, sessions
/// with their steps, metrics, gates and artifacts; bundles, environments, and the job queue.
/// Each operation is one transaction. The engine behind it is the implementation's business
/// (`SQLiteStore` is the default; `PostgresStore` keeps the same schema on PostgreSQL for a
/// factory on several hosts): nothing here names a database, and every failure is a
/// `StoreError`. A repository is named by its identity, the same on every host (its `origin`
/// URL without credentials, else the path it was registered from): every `repository` argument
/// and field is that name.
///
/// ```swift
/// let store: any FactoryStore = try SQLiteStore.inMemory()
/// let model = try store.modelID(repository: "/src/churn", name: "churn")
/// let sessions = try store.sessions(model: "churn", repository: nil, limit: 10)
/// ```
public protocol FactoryStore: Sendable {
    // MARK: Models

    /// The id of the model `name` of the repository at `path`, created when new.
    func modelID(repository path: String, name: String) throws(StoreError) -> Int64
    /// The model with `id`, if there is one.
    func model(id: Int64) throws(StoreError) -> ModelRecord?
    /// Every model with the repository it belongs to, by repository and name.
    func models() throws(StoreError) -> [RegisteredModel]

    // MARK: Sessions

    /// Records a new session as it is.
    func insert(_ session: Session) throws(StoreError)
    /// Inserts `session` with an id that depends only on what it runs: the model, commit and
    /// recipe, and how many sessions of them came before (interrupted ones not counted), so the
    /// first session of a release is the same id in every home, and a bundle that names it is
    /// the same bytes.
    func insertNumbered(_ session: inout Session, model: String) throws(StoreError)
    /// Records a session's new state (its end, its failure).
    func update(_ session: Session) throws(StoreError)
    /// The session with `id`, if there is one.
    func session(id: String) throws(StoreError) -> Session?
    /// The first passed session of `modelID` at `commit`: the one a release's bundle packages.
    func firstPassedSession(modelID: Int64, commit: String) throws(StoreError) -> Session?
    /// The latest session of a model at a commit, passed or not.
    func latestSession(modelID: Int64, commit: String) throws(StoreError) -> Session?
    /// The latest session of each model of the repository at `path` at `commit`.
    func latestSessions(repository path: String, commit: String) throws(StoreError) -> [NamedSession]
    /// Sessions of the repository at `path` started at or after `date`, oldest first.
    func sessions(repository path: String, since date: Date) throws(StoreError) -> [NamedSession]
    /// At most `limit` sessions, newest first, of one model name or of all, of the repository at
    /// `repository` or of every one.
    func newestSessions(model: String?, repository: String?, limit: Int) throws(StoreError) -> [NamedSession]
    /// Sessions whose id begins with `prefix` (lowercase), newest first, narrowed as `sessions` is.
    func sessions(idPrefix prefix: String, model: String?, repository: String?) throws(StoreError) -> [NamedSession]
    /// Sessions that have a version, newest first, narrowed as `sessions` is.
    func versionedSessions(model: String?, repository: String?) throws(StoreError) -> [NamedSession]
    /// The newest passed session of a model for the same tree and recipe that did its own work:
    /// a session that can be reused.
    func reusableSession(modelID: Int64, tree: String, recipe: String) throws(StoreError) -> Session?
    /// Every passed session of a model that ran a released version, newest first: where the
    /// previous release's metrics come from for `max_regression`.
    func releaseSessions(modelID: Int64) throws(StoreError) -> [Session]
    /// Ends as failed ("interrupted") the sessions of the repository at `path` still marked
    /// running with one of `triggers`: called by the one run allowed to make them (it holds the
    /// repository's lock), so they belong to a run that was killed. Each gets a new id (its
    /// steps, metrics, gates and artifacts follow), so the session that does the work again can
    /// have the id it would have had without the kill. Returns the old and new ids.
    @discardableResult
    func interruptStaleSessions(repository path: String, triggers: [Trigger]) throws(StoreError) -> [(old: String, new: String)]

    // MARK: What a session did

    /// Records a step of a session.
    func record(_ step: Step) throws(StoreError)
    /// The steps of `session`, in the order they were recorded.
    func steps(session: String) throws(StoreError) -> [Step]
    /// Records metrics, replacing a value measured before under the same name and split.
    func record(_ metrics: [Metric]) throws(StoreError)
    /// The metrics of `session`, by split and name.
    func metrics(session: String) throws(StoreError) -> [Metric]
    /// The metrics of each of `sessions` in one read, by session, split and name.
    func metrics(sessions: [String]) throws(StoreError) -> [Metric]
    /// Records the files a session produced.
    func record(_ artifacts: [Artifact]) throws(StoreError)
    /// The files of `session`, by path.
    func artifacts(session: String) throws(StoreError) -> [Artifact]
    /// Records the gates `session` checked, in order (replacing any recorded before).
    func record(gates: [GateResult], session: String) throws(StoreError)
    /// The gates `session` checked, in the order they were checked (a session that reused
    /// another's work checks them again for its own version); empty when it checked none (it
    /// ended before, or it reused work before sessions did that: ask the one it reused).
    func gates(session: String) throws(StoreError) -> [GateResult]

    // MARK: Data checks (the `validate` step)

    /// Records the check of one data file by a session (replacing one at the same position).
    func record(dataCheck: DataCheckRecord) throws(StoreError)
    /// The data files `session` checked, in the order it checked them; empty when it checked none.
    func dataChecks(session: String) throws(StoreError) -> [DataCheckRecord]

    // MARK: Bundles and environments

    /// Records a published bundle (a model and version already recorded stays as it is).
    func record(_ bundle: BundleRecord) throws(StoreError)
    /// Every bundle with its model's name, by model name and age.
    func bundles() throws(StoreError) -> [(bundle: BundleRecord, model: String)]
    /// Bundles of the repository at `path` published at or after `date`, oldest first.
    func bundles(repository path: String, since date: Date) throws(StoreError) -> [(bundle: BundleRecord, model: String)]
    /// The bundle of a model's version, if it was published.
    func bundle(modelID: Int64, version: String) throws(StoreError) -> BundleRecord?
    /// Records what an environment runs now.
    func record(_ environment: EnvironmentRecord) throws(StoreError)
    /// The environments of the repository at `path`, by model and name.
    func environments(repository path: String) throws(StoreError) -> [EnvironmentRecord]

    // MARK: Jobs (DESIGN.md "GitOps: reconcile and triggers")

    /// Queues a reconcile of `repository`: merged into a job of the same repository no worker has
    /// taken yet, and nothing at all for a `delivery` key seen before (a forge's delivery id,
    /// else a digest of the delivery's body), which is remembered.
    func enqueue(
        repository: String, refs: [String], trigger: Trigger, delivery: String?, maxAttempts: Int, now: Date
    ) throws(StoreError) -> Enqueued
    /// Whether `delivery` was seen before.
    func seen(delivery: String) throws(StoreError) -> Bool
    /// Takes the oldest job that is due, whose repository no live lease holds (and that is not in
    /// `busy`), leasing it to `worker` for `lease` seconds. A job whose lease ran out is taken
    /// again; one that has used `maxAttempts` that way fails for good instead (`Job.take`).
    func claimJob(worker: String, lease: TimeInterval, busy: Set<String>, maxAttempts: Int, now: @autoclosure () -> Date) throws(StoreError) -> Claim
    /// Extends `worker`'s lease on job `id`; false when the lease is no longer its own.
    func renewJob(_ id: Int64, worker: String, lease: TimeInterval, now: Date) throws(StoreError) -> Bool
    /// Records the end of `worker`'s attempt at job `id` (`Job.end`); nil, and nothing done,
    /// when `worker` no longer holds its lease.
    func finishJob(_ id: Int64, worker: String, end: JobEnd, maxAttempts: Int, now: Date) throws(StoreError) -> Job?
    /// Jobs, newest first.
    func jobs(limit: Int) throws(StoreError) -> [Job]
    /// The job with `id`, if there is one.
    func job(id: Int64) throws(StoreError) -> Job?
    /// Whether any job is queued (due or not) or running.
    func hasPendingJobs() throws(StoreError) -> Bool

    // MARK: Production loop

    /// Appends predictions to the prediction log, in one transaction.
    func record(predictions: [LoggedPrediction]) throws(StoreError)
    /// Logged predictions of `model` (of `version` when given) made at or after `since`, oldest
    /// first, at most `limit`.
    func predictions(model: String, version: String?, since: Date?, limit: Int) throws(StoreError) -> [LoggedPrediction]
    /// Keeps `labels` (in one transaction) and counts how many join a logged prediction now (see
    /// `FeedbackLabel`), naming at most `unknownLimit` unknown ids.
    func record(labels: [FeedbackLabel], unknownLimit: Int) throws(StoreError) -> FeedbackCounts
    /// How many labels `model` has received: a cheap signal that live metrics may have changed.
    func labelCount(model: String) throws(StoreError) -> Int
    /// The logged predictions of `model` at `version` that a label joins, each with its newest
    /// label, oldest first.
    func labelledPredictions(model: String, version: String) throws(StoreError) -> [LabelledPrediction]
    /// Records a live evaluation (its session, its link and its metrics) in one transaction.
    func record(live: LiveEvaluation) throws(StoreError)
    /// Live evaluations of `model` (of `version` when given), newest first, at most `limit`.
    func liveEvaluations(model: String, version: String?, limit: Int) throws(StoreError) -> [LiveEvaluation]

    /// Records drift samples, in one transaction.
    func record(drift: [DriftSample]) throws(StoreError)
    /// Drift samples of `model` (of `version` when given) taken at or after `since`, oldest
    /// first; the newest `limit` when there are more.
    func driftSamples(model: String, version: String?, since: Date?, limit: Int) throws(StoreError) -> [DriftSample]

    // MARK: Audit and rollouts

    /// Records an event of the audit trail; returns it with its id.
    @discardableResult
    func record(_ event: Event) throws(StoreError) -> Event
    /// The events of `environment` of the repository `repository`, newest first: of `model` or
    /// of every model, at or before `before` when given, at most `limit`.
    func events(repository: String, environment: String, model: String?, before: Date?, limit: Int) throws(StoreError) -> [Event]
    /// Begins `rollout` leased to `owner` for `lease` seconds, unless a rollout of the same
    /// model, environment, new release and plan is running: then that one is returned (`began`
    /// false; another server drives it, or this one did before a restart). Any other rollout of
    /// the model and environment still running ends as superseded.
    func begin(_ rollout: Rollout, owner: String, lease: TimeInterval, now: Date) throws(StoreError) -> (rollout: Rollout, began: Bool)
    /// Records a rollout's new state (its step, its end) when `owner` holds its lease; false,
    /// and nothing written, otherwise.
    func update(_ rollout: Rollout, owner: String, now: Date) throws(StoreError) -> Bool
    /// Takes (when free or run out) or renews the lease on rollout `id` for `owner`: true when
    /// `owner` holds it now.
    func leaseRollout(_ id: Int64, owner: String, lease: TimeInterval, now: Date) throws(StoreError) -> Bool
    /// The newest rollout of each model of `environment` of the repository `repository`, by model.
    func latestRollouts(repository: String, environment: String) throws(StoreError) -> [Rollout]

    // MARK: Repositories across hosts (DESIGN.md "Scale-out")

    /// Records the repository `identity` (its `origin` URL without credentials, else its
    /// location), last seen at `location` on this host; called whenever the factory opens a
    /// repository for work. When `identity` is not `location` and records are still keyed by
    /// `location` (a home from before identities, or a repository that gained an origin), they
    /// are re-keyed to `identity` in one transaction — in every table that holds a repository —
    /// merged with records already under `identity` where a key is unique. Idempotent.
    func registerRepository(identity: String, location: String) throws(StoreError)
    /// Every repository the store knows, by identity.
    func repositories() throws(StoreError) -> [RepositoryRecord]
    /// Waits until this caller alone holds the lock on the repository `identity` (across every
    /// process, and every host, that shares the store), and returns it held: the reconciler's
    /// lock, so two runs on one repository never make the same thing at once.
    func lockRepository(_ identity: String) throws(StoreError) -> any RepositoryLock
    /// Records the traffic declaration of an environment's head (replacing the one before).
    func record(traffic: TrafficRecord) throws(StoreError)
    /// The traffic declaration last recorded for `environment` of the repository `repository`.
    func traffic(repository: String, environment: String) throws(StoreError) -> TrafficRecord?

    // MARK: Blobs (content-addressed, chunked; `BlobStore` chunks, checks and streams them)

    /// The blob `digest` when the store holds it whole; nil otherwise (never put, or its upload
    /// did not finish).
    func blob(_ digest: String) throws(StoreError) -> BlobRecord?
    /// Keeps one chunk of a blob being put, replacing whatever an upload that did not finish left
    /// at its place.
    func putChunk(_ chunk: BlobChunk) throws(StoreError)
    /// Records `blob` as whole once its chunks `0..<blob.chunks` are all kept (else fails naming
    /// the blob); a blob recorded before stays as it is, so the same bytes are stored once.
    func putBlob(_ blob: BlobRecord) throws(StoreError)
    /// Chunk `index` of the blob `digest` as kept (unchecked: `BlobStore` checks it); nil when missing.
    func chunk(of digest: String, index: Int) throws(StoreError) -> BlobChunk?
    /// Every blob held whole, by digest.
    func blobs() throws(StoreError) -> [BlobRecord]

    // MARK: Schedules (DESIGN.md "Data checks, batch scoring, schedules")

    /// Records `fire` unless a fire of the same repository, entry and instant is recorded: then
    /// nothing is written and nil comes back (another worker fired it). A `queued` fire queues its
    /// job (trigger `schedule`, refs `fire.jobRefs`, never merged into another job) in the same
    /// transaction. Returns the fire with its id and job.
    func record(fire: ScheduleFire, maxAttempts: Int, now: Date) throws(StoreError) -> ScheduleFire?
    /// Records what became of a fire (`state`, `session`, `candidate`, `dataSha256`, `proposed`,
    /// `result`, `endedAt`), by its id.
    func update(fire: ScheduleFire) throws(StoreError)
    /// Fires newest instant first, at most `limit`: of `repository`, `entry` and `model` when given.
    func scheduleFires(repository: String?, entry: String?, model: String?, limit: Int) throws(StoreError) -> [ScheduleFire]
    /// The fire whose work job `job` does, if any.
    func scheduleFire(job: Int64) throws(StoreError) -> ScheduleFire?

    // MARK: Copying a whole store (`mf store copy`)

    /// Every table of records with all its rows, a table before those that refer to it; not the
    /// blobs (`blobs()` and `chunk(of:index:)` give those, a chunk at a time). Tables and columns
    /// are named as the SQLite schema names them (`SQLiteStore`; names compare without case),
    /// with no column only one engine has (an ordering column); dates are `.date`, flags
    /// `.boolean`, so any engine imports what any other exported.
    func exportTables() throws(StoreError) -> [StoreTable]
    /// Writes `tables` (as `exportTables()` of this engine or another gave them) in one
    /// transaction, ids as they are.
    func importTables(_ tables: [StoreTable]) throws(StoreError)
    /// How many rows each table holds, blobs and their chunks included, by table name.
    func rowCounts() throws(StoreError) -> [String: Int]

    // MARK: Batch scoring (`mf score`)

    /// Records a new scoring run as it is.
    func insert(_ run: ScoreRun) throws(StoreError)
    /// The scoring run with `id`, if there is one.
    func scoreRun(id: String) throws(StoreError) -> ScoreRun?
    /// Scoring runs, newest first, of `model` or of every model, at most `limit`.
    func scoreRuns(model: String?, limit: Int) throws(StoreError) -> [ScoreRun]
    /// Keeps `scores` and records `run`'s new state (its position, counts, status) in one
    /// transaction: a row whose run and key the store has already fails the whole call.
    func advance(_ run: ScoreRun, scores: [ScoredRow]) throws(StoreError)
    /// Which of `keys` the run `run` has scores for already.
    func scoredKeys(run: String, among keys: [String]) throws(StoreError) -> Set<String>
    /// The scores of run `run` with a row number after `row`, by row number, at most `limit`.
    func scores(run: String, after row: Int, limit: Int) throws(StoreError) -> [ScoredRow]

    // MARK: Change signal

    /// Where the store is now, to wait for a change after it.
    func changeToken() throws(StoreError) -> ChangeToken
    /// Returns true as soon as anyone (this process or another) commits a change after `token`,
    /// false after `timeout` without one or when the task is cancelled. Cheap to call in a loop.
    func waitForChange(after token: ChangeToken, timeout: Duration) async -> Bool
}

/// A point in the store's history of changes, as `changeToken()` gives it; only compared with
/// another token of the same store object.
public struct ChangeToken: Sendable, Equatable {
    /// The implementation's own counter.
    public let value: [Int64]

    /// A token with an implementation's counter values.
    public init(_ value: [Int64]) { self.value = value }
}

extension FactoryStore {
    /// The gates that decided `session`, with the session that checked them: its own (a session
    /// that reuses another's work checks them again), or, for one that reused work before that
    /// was so and has none, those of the session it reused.
    public func decidingGates(of session: Session) throws(StoreError) -> (session: String, gates: [GateResult]) {
        let own = try gates(session: session.id)
        guard own.isEmpty, let earlier = session.reusedFrom else { return (session.id, own) }
        return (earlier, try gates(session: earlier))
    }

    /// Sessions, newest first (`newestSessions`), of every model and repository unless named.
    public func sessions(model: String? = nil, repository: String? = nil, limit: Int = 100) throws(StoreError) -> [NamedSession] {
        try newestSessions(model: model, repository: repository, limit: limit)
    }

    /// Jobs, newest first (at most 100).
    public func jobs() throws(StoreError) -> [Job] { try jobs(limit: 100) }

    /// The newest rollout of `model` in `environment` of the repository `repository`.
    public func latestRollout(repository: String, environment: String, model: String) throws(StoreError) -> Rollout? {
        try latestRollouts(repository: repository, environment: environment).first { $0.model == model }
    }
}
