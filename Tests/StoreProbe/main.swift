// A child process for the crash test: records deliveries in a real SQLite file, claims a
// PROCESS and an EXECUTE stage, then keeps recording until it is SIGKILLed. Every line
// "ACK <id>" is printed only after the store call that recorded <id> returned — the moment
// intake would acknowledge the delivery to GitHub.
import Foundation
import JobrunnerCore
import JobrunnerStore
import JobrunnerStoreSQLite

/// Unbuffered, so a line is out before the next write can be interrupted by SIGKILL.
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

let arguments = CommandLine.arguments
guard arguments.count == 2 || arguments.count == 3, let leaseSeconds = Int64(arguments.count == 3 ? arguments[2] : "30")
else {
    FileHandle.standardError.write(Data("usage: jobrunner-store-probe DATABASE [LEASE-SECONDS]\n".utf8))
    exit(64)
}
let lease = Duration.seconds(leaseSeconds)
let store = try SQLitePipelineStore(path: arguments[1])
let repository = RepositoryName(rawValue: "acme/ops")!

func record(_ index: Int) async throws {
    let id = "probe-\(index)"
    _ = try await store.recordDelivery(
        NewDelivery(id: DeliveryID(id), event: "push", repository: "acme/ops", outcome: .accepted),
        pipelines: [
            NewPipeline(
                repository: repository, branch: "main", scriptPath: "jobs/s\(index).sh", commit: "c\(index)")
        ])
    say("ACK \(id)")
}

try await record(0)
try await record(1)
// Pipeline of delivery 0: PROCESS done, EXECUTE claimed (the "script" is running).
let firstProcess = try await store.claimNext(owner: "probe/w0", kinds: [.process], leaseDuration: lease)!
try await store.complete(firstProcess.lease, summary: nil)
let execute = try await store.claimNext(owner: "probe/w0", kinds: [.execute], leaseDuration: lease)!
say("CLAIMED execute \(execute.lease.stageID)")
// Pipeline of delivery 1: PROCESS claimed and in progress.
let process = try await store.claimNext(owner: "probe/w1", kinds: [.process], leaseDuration: lease)!
say("CLAIMED process \(process.lease.stageID)")
say("HOLDING")
var index = 2
while true {
    try await record(index)
    index += 1
}
