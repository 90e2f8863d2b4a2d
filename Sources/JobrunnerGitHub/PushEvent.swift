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
