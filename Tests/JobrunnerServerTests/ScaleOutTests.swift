import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStorePostgres
import JobrunnerTestSupport
import Testing

/// Several `jobrunner` processes on one PostgreSQL database: what "several replicas and
/// workers on several machines" must guarantee, with real processes, git and scripts.
@Suite("Scale-out on PostgreSQL", .serialized, .enabled(if: TestPostgres.url != nil))
struct ScaleOutTests {
    @Test
    func threeProcessesRunEveryScriptOnceInOrderAndRescueAKilledOne() async throws {
        let cluster = try await ScaleOutCluster(repositories: 4)
        let port = TestPorts.free()
        let serve = try cluster.start("serve", name: "serve", workers: 2, port: port)
        // Scripts run by "a" take 2 s, so it is reliably caught in the middle of one.
        let first = try cluster.start("worker", name: "a", workers: 2, scriptPause: "2")
        let second = try cluster.start("worker", name: "b", workers: 2)
        let processes = [serve.process, first.process, second.process]
        defer { for process in processes where process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // 4 repositories × 3 commits × 15 scripts = 180 pipelines.
        let pushes = try cluster.commitScripts(commits: 3, scriptsPerCommit: 15)
        for (index, push) in pushes.enumerated() {
            let status = try await JobrunnerBinary.pushWebhook(push.body, port: port, secret: cluster.secret, delivery: "push-\(index)")
            #expect(status == 202, "push to \(push.repository)")
        }
        let store = try await PostgresPipelineStore.connect(url: cluster.databaseURL)

        // Kill worker process "a" while it holds a running script (its leases then expire).
        let ownerPrefix = "\(ProcessInfo.processInfo.hostName)-\(first.process.processIdentifier)-"
        // …in the middle of a script: started (journal) but not ended, its EXECUTE leased to "a".
        try await eventually("worker a is in the middle of a script", timeout: .seconds(60)) {
            let entries = try cluster.journalEntries()
            let started = Set(entries.filter { $0.event == "start" }.map(\.pipeline))
                .subtracting(entries.filter { $0.event == "end" }.map(\.pipeline))
            return try await store.pipelines(PipelineFilter(limit: 1000)).contains { summary in
                started.contains(summary.pipeline.id.rawValue)
                    && summary.stages.contains {
                        $0.kind == .execute && $0.state == .running && $0.leaseOwner?.hasPrefix(ownerPrefix) == true
                    }
            }
        }
        kill(first.process.processIdentifier, SIGKILL)

        try await cluster.waitUntilAtRest(store, expecting: 180, timeout: .seconds(240))
        // What the killed process held when it died, as the history records it: the attempts
        // of its that were rescued (its lease expired) — not a snapshot taken at the kill, which
        // a COMMIT still on its way to the server could outdate.
        var held: [(pipelineID: PipelineID, kind: StageKind)] = []
        for summary in try await store.pipelines(PipelineFilter(limit: 1000)) {
            let detail = try #require(try await store.pipeline(summary.pipeline.id))
            for attempt in detail.attempts
            where attempt.worker.hasPrefix(ownerPrefix) && (attempt.outcome == .abandoned || attempt.outcome == .interrupted) {
                held.append((summary.pipeline.id, attempt.kind))
            }
        }
        // Usually the EXECUTE seen above; under heavy load it may have finished before the signal.
        #expect(!held.isEmpty, "the killed process held stages when it died")
        let summaries = try await store.pipelines(PipelineFilter(limit: 1000))
        let entries = try cluster.journalEntries()
        let starts = Dictionary(grouping: entries.filter { $0.event == "start" }, by: \.pipeline).mapValues(\.count)

        // Rescue rules: the killed process's EXECUTEs are interrupted, never re-run; its PROCESS
        // and CLEANUP stages were queued again and finished elsewhere.
        for stage in held {
            let final = try #require(try await store.pipeline(stage.pipelineID))
            let now = try #require(final.summary.stage(stage.kind))
            if stage.kind == .execute {
                #expect(now.state == .interrupted, "EXECUTE of pipeline \(stage.pipelineID) held by the killed process")
                #expect(starts[stage.pipelineID.rawValue, default: 0] <= 1)
            } else {
                #expect(now.state == .succeeded, "\(stage.kind) of pipeline \(stage.pipelineID) finished on another node")
            }
        }
        // No stage is lost: everything else succeeded, each script ran exactly once.
        let interrupted = Set(held.filter { $0.kind == .execute }.map(\.pipelineID))
        for summary in summaries where !interrupted.contains(summary.pipeline.id) {
            #expect(summary.status == .succeeded, "pipeline \(summary.pipeline.id): \(summary.stages.map { "\($0.kind)=\($0.state)" })")
            #expect(starts[summary.pipeline.id.rawValue] == 1, "pipeline \(summary.pipeline.id) ran once")
        }
        #expect(starts.values.allSatisfy { $0 == 1 }, "no script ran twice")
        print(
            "scale-out: \(summaries.count) pipelines, \(starts.count) scripts ran, the killed process held "
                + held.map { "\($0.kind.rawValue) of \($0.pipelineID)" }.joined(separator: ", "))

        // Per repository: runs never overlap, and they follow pipeline order (commit, then path).
        for repository in cluster.repositories {
            let lines = entries.filter { $0.repository == repository }
            var running: Int64?
            var previous: Int64 = 0
            // A script of the killed node dies with it (it never writes its end): the next of its
            // repository may start. Had it lived on orphaned, its end would follow that start.
            var died: Set<Int64> = []
            for line in lines {
                if line.event == "start" {
                    if let killed = running, interrupted.contains(PipelineID(rawValue: killed)) {
                        died.insert(killed)
                        running = nil
                    }
                    #expect(running == nil, "\(repository): \(line.pipeline) started while \(running ?? 0) ran")
                    #expect(line.pipeline > previous, "\(repository): \(line.pipeline) ran after \(previous)")
                    running = line.pipeline
                    previous = line.pipeline
                } else if line.pipeline == running {
                    running = nil
                } else if died.contains(line.pipeline) {
                    Issue.record("\(repository): the script of \(line.pipeline) lived on after its node was killed")
                }
            }
            let ids = summaries.filter { $0.pipeline.source.repository.rawValue == repository }
                .sorted { $0.pipeline.id < $1.pipeline.id }.map(\.pipeline.source.scriptPath)
            #expect(ids == ids.sorted(), "\(repository): pipeline ids follow commit and path order")
        }
        // CLEANUP removed the scripts and logged them, never twice. (The repositories here are
        // local paths: libgit2 checks a push to a path for fast-forward before updating the ref,
        // not atomically, so two nodes' log commits can very rarely replace one another — a git
        // server (GitHub, http-backend) refuses that atomically. Hence the sum, not each part.)
        for (repository, fixture) in zip(cluster.repositories, cluster.fixtures) {
            let files = try GitFixture.git(["ls-tree", "-r", "--name-only", "main"], in: fixture.bare).split(separator: "\n")
            let remaining = files.filter { $0.hasPrefix("jobs/") }
            let logs = files.filter { $0.hasPrefix("jobrunner-logs/") }
            #expect(remaining.count + logs.count == 45, "\(repository): every script is either still there or logged once")
            #expect(logs.count >= 40, "\(repository): \(logs.count) logs")
        }

        for process in [serve.process, second.process] { try await JobrunnerBinary.stop(process) }
        #expect(serve.process.terminationStatus == 0)
        #expect(second.process.terminationStatus == 0)
    }

    @Test
    func aDatabaseRestartMidRunLosesNothingAcknowledgedAndRunsNothingTwice() async throws {
        // A server of its own: restarting the shared one would cut every other test's connections.
        let server = try TestPostgres.RestartServer()
        let cluster = try await ScaleOutCluster(repositories: 2, server: server.url)
        // Both rounds are committed before anything runs: the repositories are local paths, and
        // a push racing CLEANUP's libgit2 push to a path can be lost (docs/scaling.md).
        let before = try cluster.commitScripts(commits: 2, scriptsPerCommit: 10)
        let after = try cluster.commitScripts(commits: 2, scriptsPerCommit: 10, round: 1)
        let port = TestPorts.free()
        let serve = try cluster.start("serve", name: "serve", workers: 2, port: port)
        let worker = try cluster.start("worker", name: "w", workers: 2)
        defer { for process in [serve.process, worker.process] where process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        // 2 repositories × 2 commits × 10 scripts, before and after the restart.
        for (index, push) in before.enumerated() {
            #expect(try await JobrunnerBinary.pushWebhook(push.body, port: port, secret: cluster.secret, delivery: "before-\(index)") == 202)
        }
        try await eventually("some scripts ran", timeout: .seconds(60)) {
            try cluster.journalEntries().filter { $0.event == "end" }.count >= 5
        }
        progress("restarting the database")
        try await server.restart()
        progress("restarted")

        // GitHub redelivers what was not acknowledged; what was acknowledged must be there.
        for (index, push) in after.enumerated() {
            var status: Int?
            for _ in 0..<40 where status != 202 {
                status = try await JobrunnerBinary.pushWebhook(push.body, port: port, secret: cluster.secret, delivery: "after-\(index)")
                if status != 202 { try await Task.sleep(for: .milliseconds(250)) }
            }
            #expect(status == 202, "a push after the restart is acknowledged")
        }
        progress("pushed after the restart")
        let store = try await PostgresPipelineStore.connect(url: cluster.databaseURL)
        do {
            try await cluster.waitUntilAtRest(store, expecting: 80, timeout: .seconds(180))
        } catch {
            // What the processes said, to diagnose a stall from the log alone.
            for (name, started) in [("serve", serve), ("worker", worker)] {
                kill(started.process.processIdentifier, SIGKILL)
                let lines = ((try? await started.stderr.value) ?? "").split(separator: "\n").suffix(400)
                progress("--- last lines of \(name)'s stderr:\n" + lines.joined(separator: "\n"))
            }
            throw error
        }

        let summaries = try await store.pipelines(PipelineFilter(limit: 1000))
        let starts = Dictionary(grouping: try cluster.journalEntries().filter { $0.event == "start" }, by: \.pipeline)
            .mapValues(\.count)
        #expect(starts.values.allSatisfy { $0 == 1 }, "no script ran twice")
        // EXECUTE is at-most-once: a run whose store calls failed during the restart is
        // interrupted, or failed before its script started; either way it is not run again on
        // its own. PROCESS and CLEANUP are retried until they succeed.
        var cutOff: [String] = []
        for summary in summaries {
            let execute = try #require(summary.stage(.execute), "pipeline \(summary.pipeline.id) reached EXECUTE")
            #expect(summary.stage(.process)?.state == .succeeded)
            if execute.state == .interrupted || execute.state == .failed {
                cutOff.append("\(summary.pipeline.id) \(execute.state): \(execute.lastError ?? "")")
                #expect(starts[summary.pipeline.id.rawValue, default: 0] <= 1)
            } else {
                #expect(
                    summary.status == .succeeded,
                    "pipeline \(summary.pipeline.id): \(summary.stages.map { "\($0.kind)=\($0.state) \($0.lastError ?? "")" })")
                #expect(starts[summary.pipeline.id.rawValue] == 1)
            }
        }
        print("database restart: \(summaries.count) pipelines, \(starts.count) scripts ran, cut off by the restart: \(cutOff)")
        #expect(cutOff.count < summaries.count / 2, "most runs are untouched by a sub-second restart")

        // Both processes rode it out and stop cleanly.
        #expect(serve.process.isRunning && worker.process.isRunning)
        for process in [serve.process, worker.process] { try await JobrunnerBinary.stop(process) }
        #expect(serve.process.terminationStatus == 0)
        #expect(worker.process.terminationStatus == 0)
    }
}

/// A line on stderr at once (stdout is buffered when CI pipes it), so a slow test shows where it is.
func progress(_ message: String) {
    FileHandle.standardError.write(Data("[\(Date().formatted(.iso8601))] \(message)\n".utf8))
}
