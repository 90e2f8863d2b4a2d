import Foundation
import JobrunnerCore

/// `git http-backend` behind HTTP Basic auth on a loopback port (Tests/Support/git-http-host.py),
/// standing in for GitHub's smart HTTP with token credentials.
public struct GitHTTPHost: Sendable {
    private let helper: LocalHelperProcess
    public var port: Int { helper.port }

    /// - Parameter race: a shell command run once just before the first push is served.
    public static func start(root: String, token: String, race: String? = nil) async throws -> GitHTTPHost {
        GitHTTPHost(
            helper: try await LocalHelperProcess.start(
                script: "git-http-host.py", arguments: [root, token] + (race.map { [$0] } ?? [])))
    }

    public func stop() { helper.stop() }
}
