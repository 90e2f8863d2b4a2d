import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// One fresh database of one driver, with the clock its store reads.
final class StoreHarness: Sendable {
    let store: any PipelineStore
    let clock: ManualClock
    let policy: RetryPolicy
    private let reopenHandle: @Sendable () async throws -> any PipelineStore
    private let reopenScanning: @Sendable (Int) async throws -> any PipelineStore
    /// Runs SQL on the database directly — what a DBA would do, to set up states for a rule test.
    let execute: @Sendable (String) async throws -> Void
    private let keepAlive: (any Sendable)?

    init(
        store: any PipelineStore, clock: ManualClock, policy: RetryPolicy,
        reopen: @escaping @Sendable () async throws -> any PipelineStore,
        reopenScanning: @escaping @Sendable (Int) async throws -> any PipelineStore,
        execute: @escaping @Sendable (String) async throws -> Void, keepAlive: (any Sendable)?
    ) {
        self.execute = execute
        self.store = store
        self.clock = clock
        self.policy = policy
        self.reopenHandle = reopen
        self.reopenScanning = reopenScanning
        self.keepAlive = keepAlive
    }

    /// Another independent handle on the same database — what a second process would have.
    func secondHandle() async throws -> any PipelineStore { try await reopenHandle() }

    /// Another handle whose text filter scans only the newest `window` pipelines before it asks
    /// the trigram index (a window of one sends every text query through the index).
    func handle(textScanWindow window: Int) async throws -> any PipelineStore { try await reopenScanning(window) }
}

/// The drivers the conformance suite runs against. A new driver adds itself to `all`.
struct StoreDriver: Sendable, CustomTestStringConvertible {
    let name: String
    let open: @Sendable (_ policy: RetryPolicy, _ jitter: Double) async throws -> StoreHarness

    var testDescription: String { name }

    static let sqlite = StoreDriver(name: "sqlite") { policy, jitter in
        let directory = try TemporaryDirectory("store")
        let clock = ManualClock()
        let path = directory.file("jobrunner.sqlite")
        let open: @Sendable () throws -> any PipelineStore = {
            try SQLitePipelineStore(path: path, clock: clock, retryPolicy: policy, jitter: { jitter })
        }
        let execute: @Sendable (String) async throws -> Void = { sql in
            try DatabaseQueue(path: path).write { db in try db.execute(sql: sql) }
        }
        return StoreHarness(
            store: try open(), clock: clock, policy: policy, reopen: open,
            reopenScanning: { window in
                try SQLitePipelineStore(path: path, clock: clock, retryPolicy: policy, textScanWindow: window, jitter: { jitter })
            }, execute: execute, keepAlive: directory)
    }

    /// A fresh database on the PostgreSQL server the test command started.
    static let postgres = StoreDriver(name: "postgres") { policy, jitter in
        let url = try await TestPostgres.freshDatabase()
        let clock = ManualClock()
        let open: @Sendable () async throws -> any PipelineStore = {
            try await PostgresPipelineStore.connect(url: url, clock: clock, retryPolicy: policy, jitter: { jitter })
        }
        return StoreHarness(
            store: try await open(), clock: clock, policy: policy, reopen: open,
            reopenScanning: { window in
                try await PostgresPipelineStore.connect(
                    url: url, clock: clock, retryPolicy: policy, jitter: { jitter }, textScanWindow: window)
            },
            // One statement on the wire: a DO block runs several.
            execute: { sql in try await TestPostgres.execute(url, "DO $jr$ BEGIN \(sql); END $jr$") }, keepAlive: nil)
    }

    /// PostgreSQL joins when the test command started a server (it always does; a bare
    /// `swift test` without one runs SQLite only, and `PostgresAvailabilityTests` says so).
    static let all: [StoreDriver] = TestPostgres.url == nil ? [.sqlite] : [.sqlite, .postgres]
}

/// Shorthands the conformance tests use.
extension PipelineStore {
    /// Claims one stage of `kind` and fails the test if there is none.
    func mustClaim(_ kind: StageKind, owner: String = "w1", lease: Duration = .seconds(30)) async throws
        -> ClaimedStage
    {
        let claimed = try await claimNext(owner: owner, kinds: [kind], leaseDuration: lease)
        return try #require(claimed, "expected a claimable \(kind.rawValue) stage")
    }

    /// Runs one stage of `kind` to success.
    @discardableResult
    func runToSuccess(_ kind: StageKind, owner: String = "w1") async throws -> ClaimedStage {
        let claimed = try await mustClaim(kind, owner: owner)
        try await complete(claimed.lease, summary: "ok")
        return claimed
    }
}
