import Logging
import Foundation
import JobrunnerCore
import JobrunnerStages

/// Builders for deliveries and pipelines as intake would record them.
public enum Fixtures {
    public static func repository(_ name: String = "acme/ops") -> RepositoryName {
        RepositoryName(rawValue: name)!
    }

    public static func pipeline(
        _ path: String, repository: String = "acme/ops", commit: String = "c0ffee", pusher: String = "octocat"
    ) -> NewPipeline {
        NewPipeline(
            repository: Self.repository(repository), branch: "main", scriptPath: path, commit: commit,
            blob: nil, pusher: pusher, pullRequest: 7, author: "alice")
    }

    public static func delivery(_ id: String, repository: String = "acme/ops", outcome: DeliveryOutcome = .accepted)
        -> NewDelivery
    {
        NewDelivery(
            id: DeliveryID(id), event: "push", repository: repository, ref: "refs/heads/main",
            headCommit: "c0ffee", sender: "octocat", outcome: outcome)
    }
}

extension Fixtures {
    /// A build as PROCESS would store it: binary content, a timeout, an approval.
    public static func artifact(content: [UInt8] = [0x00, 0xFF, 0x0A, 0xE2, 0x82]) -> Artifact {
        Artifact(
            toolchain: "bash", toolchainVersion: "5.2", fileName: "script.sh", runCommand: ["bash", "{file}"],
            content: content, digest: "sha256:abc", sourceDigest: "sha256:def", buildDuration: .milliseconds(1500),
            isText: false, timeout: .seconds(90), source: Array("echo hi\n".utf8),
            approval: PullRequestApproval(
                number: 7, url: "https://github.com/acme/ops/pull/7", title: "Add a script", author: "alice",
                approvers: ["bob"], mergedBy: "carol", requiredApprovals: 1))
    }
}

/// A directory under the system temp folder, removed when the test is done with it.
public final class TemporaryDirectory: Sendable {
    public let path: String

    public init(_ label: String = "jobrunner-test") throws {
        path = NSTemporaryDirectory() + "\(label)-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}


/// A logger that discards everything, so expected failures do not clutter test output.
public let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

extension SourceScopePolicy {
    /// `jobs/` and `jobrunner-logs/`, as a default configuration has them.
    public static let test = SourceScopePolicy(jobsDirectory: "jobs", logsDirectory: "jobrunner-logs", treeLimit: 64 << 20)
}
