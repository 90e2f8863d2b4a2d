/// The parts of GitHub's `push` webhook payload Jobrunner reads.
/// https://docs.github.com/en/webhooks/webhook-events-and-payloads#push
public struct PushEvent: Decodable, Sendable, Equatable {
    public var ref: String
    public var before: String
    public var after: String
    public var created: Bool
    public var deleted: Bool
    public var forced: Bool
    public var commits: [Commit]
    public var headCommit: Commit?
    public var repository: Repository
    public var pusher: Pusher
    public var sender: User?

    public struct Commit: Decodable, Sendable, Equatable {
        public var id: String
        public var message: String
        public var author: Person
        public var added: [String]?
        public var removed: [String]?
        public var modified: [String]?
    }

    public struct Person: Decodable, Sendable, Equatable {
        public var name: String
        public var email: String?
        public var username: String?
    }

    public struct Repository: Decodable, Sendable, Equatable {
        public var fullName: String
        public var defaultBranch: String?

        enum CodingKeys: String, CodingKey {
            case fullName = "full_name"
            case defaultBranch = "default_branch"
        }
    }

    public struct Pusher: Decodable, Sendable, Equatable {
        public var name: String
    }

    public struct User: Decodable, Sendable, Equatable {
        public var login: String
    }

    enum CodingKeys: String, CodingKey {
        case ref, before, after, created, deleted, forced, commits, repository, pusher, sender
        case headCommit = "head_commit"
    }

    /// GitHub puts at most this many commits in a push payload; a push with more needs the API.
    public static let payloadCommitLimit = 2048

    public static let zeroCommit = String(repeating: "0", count: 40)

    /// The push, once every commit id in it is an object id (40 hex digits, or 64 in a SHA-256
    /// repository): ids are put into git commands, API paths and file names.
    public func validated() throws -> PushEvent {
        var ids: [(String, String)] = [("before", before), ("after", after)]
        ids += commits.enumerated().map { ("commits[\($0.offset)].id", $0.element.id) }
        if let headCommit { ids.append(("head_commit.id", headCommit.id)) }
        for (field, id) in ids where !Self.isObjectID(id) {
            throw WebhookPayloadError("field \(field) is not a commit id (40 or 64 hex digits): '\(id.prefix(80))'")
        }
        return self
    }

    public static func isObjectID(_ text: String) -> Bool {
        (text.utf8.count == 40 || text.utf8.count == 64) && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }
}

/// The `ping` GitHub sends when a webhook is created.
public struct PingEvent: Decodable, Sendable, Equatable {
    public var zen: String?
    public var hookID: Int?

    enum CodingKeys: String, CodingKey {
        case zen
        case hookID = "hook_id"
    }
}
