import Foundation
import JobrunnerCore

/// EXECUTE starts only once the application runs a release that contains the script's commit
/// (`JOBRUNNER_APP_REVISION`): a merged script must not run before the deploy that brings its
/// code, packages or schema. Until then the stage waits — queued, holding no worker and no
/// lease, its repository's later scripts behind it — with the reason shown everywhere, and is
/// checked again with a growing pause. A revision that cannot be read means waiting, never
/// running blind. After `maxWait` the stage fails; the script never started.
public struct DeployGate: Sendable {
    public let source: any DeployedRevisionSource
    public let ancestry: any CommitAncestry
    /// Where the revision is read, for messages (`file:/srv/app/REVISION`).
    public let location: String
    public let maxWait: Duration
    public let clock: any JobClock

    public init(
        source: any DeployedRevisionSource, ancestry: any CommitAncestry, location: String, maxWait: Duration,
        clock: any JobClock = SystemClock()
    ) {
        self.source = source
        self.ancestry = ancestry
        self.location = location
        self.maxWait = maxWait
        self.clock = clock
    }

    public enum Decision: Sendable, Equatable {
        /// The application runs `revision`, which contains the commit: run.
        case open(revision: String)
        /// Not yet: check again from `until`.
        case wait(reason: String, until: Date)
        /// Waited `maxWait` in vain: fail without running.
        case expired(reason: String)
    }

    /// - Parameter waitingSince: when the stage began waiting (nil: it has not waited yet).
    public func check(_ pipeline: PipelineRecord, waitingSince: Date?) async -> Decision {
        let now = clock.now()
        let commit = pipeline.source.commit
        let reason: String
        do {
            let revision = try await source.currentRevision()
            do {
                if try await ancestry.contains(repository: pipeline.source.repository, revision: revision, commit: commit) {
                    return .open(revision: revision)
                }
                reason = "waiting for the deploy of \(commit.prefix(7)); the application runs \(revision.prefix(7))"
            } catch {
                reason = "waiting for the deploy of \(commit.prefix(7)); the application runs \(revision.prefix(7)), which cannot be compared with it yet: \(error)"
            }
        } catch {
            reason = "waiting for the deploy of \(commit.prefix(7)): the application's revision cannot be read from \(location): \(error)"
        }
        let waited = now.timeIntervalSince(waitingSince ?? now)
        if waited >= maxWait.secondsDouble {
            return .expired(
                reason: "the application did not run a release containing \(commit.prefix(7)) within \(DurationParser.format(maxWait)) (JOBRUNNER_DEPLOY_WAIT); the script never started — retry EXECUTE once it is deployed. Last: \(reason)")
        }
        // Soon at first (a deploy is often under way), then every 10 s at most.
        let pause = min(max(waited / 10, 1), 10)
        return .wait(reason: reason, until: now.addingTimeInterval(pause))
    }
}

/// `file:PATH`: the first full commit id in a file written at deploy time (`REVISION`).
public struct FileRevisionSource: DeployedRevisionSource {
    public let path: String

    public init(path: String) { self.path = path }

    public func currentRevision() async throws -> String {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw RevisionReadError(location: "file:\(path)", problem: error.localizedDescription)
        }
        guard let commit = RevisionLocation.commit(in: text) else {
            throw RevisionReadError(location: "file:\(path)", problem: "it holds no 40-hex commit id")
        }
        return commit
    }
}

/// Why the application's revision could not be read.
public struct RevisionReadError: Error, Sendable, CustomStringConvertible {
    public var location: String
    public var problem: String

    public init(location: String, problem: String) {
        self.location = location
        self.problem = problem
    }

    public var description: String { problem }
}
