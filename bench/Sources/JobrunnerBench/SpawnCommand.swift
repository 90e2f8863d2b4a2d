import ArgumentParser
import Foundation
import JobrunnerCore
import JobrunnerStages

/// One spawn alone, through the process runner EXECUTE uses: how long from asking for a process
/// until the script's first line runs (it prints bash's `$EPOCHREALTIME`, no extra process),
/// and until it has exited and been reaped. The latency benchmark's floor.
struct SpawnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spawn", abstract: "Process spawn latency alone.")

    @Option var count = 200
    @Option(help: "Where the script file is written.") var directory: String

    struct Result: Encodable {
        var toScriptStart: LatencySummary
        var toExit: LatencySummary
    }

    func run() async throws {
        let script = directory + "/spawn-probe.sh"
        try "printf '%s' \"$EPOCHREALTIME\"\n".write(toFile: script, atomically: true, encoding: .utf8)
        let runner = SubprocessRunner()
        let spec = ProcessSpec(
            executable: "/bin/bash", arguments: [script], environment: ["PATH": "/usr/bin:/bin"], workingDirectory: directory)
        var toStart: [Double] = []
        var toExit: [Double] = []
        for _ in 0..<count {
            let asked = Date().timeIntervalSince1970
            let result = try await runner.run(spec)
            let exited = Date().timeIntervalSince1970
            guard result.succeeded, let started = Double(String(decoding: result.stdout.bytes, as: UTF8.self).replacingOccurrences(of: ",", with: ".")) else {
                throw ValidationError("the probe script failed: \(result)")
            }
            toStart.append((started - asked) * 1000)
            toExit.append((exited - asked) * 1000)
        }
        try printJSON(Result(toScriptStart: LatencySummary(milliseconds: toStart), toExit: LatencySummary(milliseconds: toExit)))
    }
}
