import Foundation

/// A helper server from Tests/Support run with python3: it prints its loopback port on the first
/// line of stdout and stops when its stdin closes (so it cannot outlive the test process).
public struct LocalHelperProcess: Sendable {
    public let port: Int
    private let process: Process
    private let input: Pipe

    public static func start(script: String, arguments: [String]) async throws -> LocalHelperProcess {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Support/\(script)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", path] + arguments
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = try await output.read(until: "\n")
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw GitFixtureError(arguments: [script], message: "did not start: \(line)")
        }
        return LocalHelperProcess(port: port, process: process, input: input)
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        process.terminate()
    }
}
