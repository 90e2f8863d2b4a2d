import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Synchronization
import Testing

/// A real child process holds leases in a real SQLite file and is SIGKILLed while writing.
@Suite("Crash recovery")
struct CrashRecoveryTests {
    static var probePath: String {
        ProcessInfo.processInfo.environment["JOBRUNNER_STORE_PROBE"] ?? BuiltProduct.path("jobrunner-store-probe")
    }

    @Test
    func acknowledgedDeliveriesSurviveSIGKILLAndLeasesAreRescuedByTheRules() async throws {
        let directory = try TemporaryDirectory("crash")
        let database = directory.file("jobrunner.sqlite")
        let child = Process()
        child.executableURL = URL(fileURLWithPath: Self.probePath)
        child.arguments = [database]
        let output = Pipe()
        child.standardOutput = output
        try child.run()

        // Read until the leases are held and a good number of further deliveries were acknowledged.
        let lines = Locked<[String]>([])
        let reader = Task {
            try await onDedicatedThread {
                var buffer = Data()
                while true {
                    let chunk = output.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    buffer.append(chunk)
                    while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                        let line = String(decoding: buffer[buffer.startIndex..<newline], as: UTF8.self)
                        buffer.removeSubrange(buffer.startIndex...newline)
                        lines.withLock { $0.append(line) }
                    }
                }
            }
        }
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let acknowledged = lines.withLock { lines in
                lines.contains("HOLDING") ? lines.filter { $0.hasPrefix("ACK ") }.count : 0
            }
            if acknowledged >= 40 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        kill(child.processIdentifier, SIGKILL)
        try await onDedicatedThread { child.waitUntilExit() }
        #expect(child.terminationReason == .uncaughtSignal)
        _ = await reader.result

        let seen = lines.withLock { $0 }
        #expect(seen.contains("HOLDING"), "the probe got to hold its leases")
        let acknowledged = seen.filter { $0.hasPrefix("ACK ") }.map { String($0.dropFirst(4)) }
        #expect(acknowledged.count >= 40)
        let executeStage = try #require(seen.first { $0.hasPrefix("CLAIMED execute ") }.flatMap { Int64($0.split(separator: " ")[2]) })
        let processStage = try #require(seen.first { $0.hasPrefix("CLAIMED process ") }.flatMap { Int64($0.split(separator: " ")[2]) })

        // A new process opens the same file after the leases (30 s) have expired.
        let clock = ManualClock(start: Date().addingTimeInterval(31))
        let store = try SQLitePipelineStore(path: database, clock: clock)
        for id in acknowledged {
            let delivery = try await store.delivery(DeliveryID(id))
            #expect(delivery != nil, "acknowledged delivery \(id) is durable")
            #expect(delivery?.pipelineIDs.count == 1)
        }
        let report = try await store.rescueExpiredLeases()
        #expect(report.requeued == [StageID(processStage)])
        #expect(report.interrupted == [StageID(executeStage)])

        let rerun = try #require(try await store.claimNext(owner: "survivor", kinds: [.process], leaseDuration: .seconds(30)))
        #expect(rerun.lease.stageID == StageID(processStage), "the abandoned PROCESS runs again first")
        #expect(rerun.lease.attempt == 2)
        #expect(
            try await store.claimNext(owner: "survivor", kinds: [.execute], leaseDuration: .seconds(30)) == nil,
            "the interrupted EXECUTE is not run again by itself")
    }
}
