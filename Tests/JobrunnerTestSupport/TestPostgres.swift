import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import PostgresNIO

/// The PostgreSQL server the test command starts on loopback (scripts/lib/test-postgres.sh).
/// Each test gets a database of its own, so tests run in parallel without seeing each other.
public enum TestPostgres {
    public static var url: String? { ProcessInfo.processInfo.environment["JOBRUNNER_TEST_POSTGRES_URL"] }

    /// Set by the test command: the PostgreSQL tests must run, not quietly skip.
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["JOBRUNNER_TEST_REQUIRE_POSTGRES"] == "1" }

    /// A `pg_ctl` for that server, to restart it under a running test.
    public static var control: String? { ProcessInfo.processInfo.environment["JOBRUNNER_TEST_POSTGRES_CTL"] }

    public struct NotConfigured: Error, CustomStringConvertible {
        public var description: String { "JOBRUNNER_TEST_POSTGRES_URL is not set: run the tests with scripts/test" }
    }

    /// Creates an empty database (on the shared server, or the one at `server`) and returns its URL.
    public static func freshDatabase(on server: String? = nil) async throws -> String {
        guard let url = server ?? url else { throw NotConfigured() }
        let name = "jobrunner_test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await execute(url, "CREATE DATABASE \(name)")
        var components = try require(URLComponents(string: url))
        components.path = "/" + name
        return try require(components.string)
    }

    /// Runs one statement on the database at `url` — what a DBA (or a newer Jobrunner) would do.
    public static func execute(_ url: String, _ sql: String) async throws {
        let client = PostgresClient(configuration: try PostgresConnectionURL(url).configuration)
        let running = Task { await client.run() }
        defer { running.cancel() }
        try await client.query(PostgresQuery(unsafeSQL: sql))
    }

    /// Restarts the server (fast shutdown: open connections are cut) and waits until it answers.
    /// Without arguments the shared one — which cuts every test's connections; a test that
    /// restarts its database should use the `RestartServer`.
    public static func restart(control: String? = nil, url server: String? = nil) async throws {
        guard let control = control ?? self.control else { throw NotConfigured() }
        // No pipes: the restarted server is a daemon that may inherit the test process's open
        // descriptors, and a pipe it holds would never reach end-of-file. pg_ctl itself exits
        // once the server accepts connections; its output goes to a file.
        let output = NSTemporaryDirectory() + "pg_ctl-restart-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: output, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: control)
        process.arguments = ["restart", "-m", "fast", "-w", "-t", "60"]
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Foundation does not always reap this child (it lingers as a zombie with isRunning
        // still true), so its end is read from /proc; the server answering is the real check.
        let pid = process.processIdentifier
        for _ in 0..<1200 where process.isRunning && !isZombie(pid) { try await Task.sleep(for: .milliseconds(50)) }
        try? log.close()
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        if process.isRunning && !isZombie(pid) {
            kill(pid, SIGKILL)
            throw RestartFailed(output: text)
        }
        guard let url = server ?? url else { throw NotConfigured() }
        do {
            try await execute(url, "SELECT 1")
        } catch {
            throw RestartFailed(output: text + "\nthe server does not answer: \(error)")
        }
    }

    private static func isZombie(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
        // "pid (comm) S …": the state follows the last parenthesis.
        guard let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).hasPrefix("Z")
    }

    public struct RestartFailed: Error, CustomStringConvertible {
        public var output: String
        public var description: String { "pg_ctl restart failed: \(output)" }
    }
}

extension TestPostgres {
    /// The second server the test command starts (`jobrunner_start_restart_test_postgres`) for
    /// the test that restarts its database, so the restart cuts no other test's connections.
    /// Started by the test command, not the test: a test waiting on a child process blocks one
    /// of Swift's few cooperative threads (and Foundation does not always see that child end).
    public struct RestartServer: Sendable {
        public let url: String
        public let control: String

        public init() throws {
            let environment = ProcessInfo.processInfo.environment
            guard let url = environment["JOBRUNNER_TEST_POSTGRES_RESTART_URL"],
                let control = environment["JOBRUNNER_TEST_POSTGRES_RESTART_CTL"]
            else { throw NotConfigured() }
            self.url = url
            self.control = control
        }

        public func restart() async throws { try await TestPostgres.restart(control: control, url: url) }
    }
}

/// `#require` without the Testing module (this target is shared by every test target).
private func `require`<T>(_ value: T?) throws -> T {
    guard let value else { throw TestPostgres.NotConfigured() }
    return value
}
