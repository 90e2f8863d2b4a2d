import Foundation
import JobrunnerCore

/// `git http-backend` behind HTTP Basic auth on a loopback port (Tests/Support/git-http-host.py),
/// standing in for GitHub's smart HTTP with token credentials.
public struct GitHTTPHost: Sendable {
    public let port: Int
    private let process: Process
    private let input: Pipe

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Support/git-http-host.py").path

    /// - Parameter race: a shell command run once just before the first push is served.
    public static func start(root: String, token: String, race: String? = nil) async throws -> GitHTTPHost {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script, root, token] + (race.map { [$0] } ?? [])
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let line = try await output.read(until: "\n")
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw GitFixtureError(arguments: ["git-http-host.py"], message: "did not start: \(line)")
        }
        return GitHTTPHost(port: port, process: process, input: input)
    }

    public func stop() {
        try? input.fileHandleForWriting.close()
        process.terminate()
    }
}
