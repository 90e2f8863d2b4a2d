import Foundation

extension PushEvent {
    /// Reads a push payload as `WebhookPayload.decode(PushEvent.self, from:)` does — the same
    /// event, the same refusals with the same messages, fields checked in the same order — but
    /// stricter on broken text: a raw control character or invalid UTF-8 in any string makes the
    /// body invalid JSON, where `JSONDecoder` checked only the strings it decoded
    /// (`PushEventReaderTests` holds the two together). Without `JSONDecoder`, whose generic
    /// decoding was the largest single cost of taking a delivery in.
    public static func read(from json: Data) throws(WebhookPayloadError) -> PushEvent {
        let parsed: PayloadJSON? = json.withUnsafeBytes { raw in
            try? PayloadJSON.parse(raw.bindMemory(to: UInt8.self))
        }
        guard let parsed else { throw WebhookPayloadError("body is not valid JSON") }
        return try PushEventReader.event(parsed)
    }
}

/// Turns the parsed document into a `PushEvent`, naming the field of the first problem the way
/// `WebhookPayload.decode` does.
enum PushEventReader {
    typealias Fields = [(key: String, value: PayloadJSON)]

    static func event(_ root: PayloadJSON) throws(WebhookPayloadError) -> PushEvent {
        let fields = try object(root, "")
        return PushEvent(
            ref: try string(fields, "ref", in: ""),
            before: try string(fields, "before", in: ""),
            after: try string(fields, "after", in: ""),
            created: try bool(fields, "created", in: ""),
            deleted: try bool(fields, "deleted", in: ""),
            forced: try bool(fields, "forced", in: ""),
            commits: try commits(fields),
            headCommit: try optional(fields, "head_commit", in: "").map { value throws(WebhookPayloadError) in try commit(value, "head_commit") },
            repository: try repository(try required(fields, "repository", in: "")),
            pusher: PushEvent.Pusher(name: try string(try object(try required(fields, "pusher", in: ""), "pusher"), "name", in: "pusher")),
            sender: try optional(fields, "sender", in: "").map { value throws(WebhookPayloadError) in
                PushEvent.User(login: try string(try object(value, "sender"), "login", in: "sender"))
            })
    }

    static func commits(_ fields: Fields) throws(WebhookPayloadError) -> [PushEvent.Commit] {
        let list = try array(try required(fields, "commits", in: ""), "commits")
        var commits: [PushEvent.Commit] = []
        commits.reserveCapacity(list.count)
        for (index, element) in list.enumerated() {
            let path = "commits[\(index)]"
            if case .null = element { throw WebhookPayloadError("field \(path) is null") }
            commits.append(try commit(element, path))
        }
        return commits
    }

    static func commit(_ value: PayloadJSON, _ path: String) throws(WebhookPayloadError) -> PushEvent.Commit {
        let fields = try object(value, path)
        let id = try string(fields, "id", in: path)
        let message = try string(fields, "message", in: path)
        let authorPath = join(path, "author")
        let author = try object(try required(fields, "author", in: path), authorPath)
        return PushEvent.Commit(
            id: id, message: message,
            author: PushEvent.Person(
                name: try string(author, "name", in: authorPath),
                email: try optionalString(author, "email", in: authorPath),
                username: try optionalString(author, "username", in: authorPath)),
            added: try paths(fields, "added", in: path),
            removed: try paths(fields, "removed", in: path),
            modified: try paths(fields, "modified", in: path))
    }

    static func repository(_ value: PayloadJSON) throws(WebhookPayloadError) -> PushEvent.Repository {
        let fields = try object(value, "repository")
        return PushEvent.Repository(
            fullName: try string(fields, "full_name", in: "repository"),
            defaultBranch: try optionalString(fields, "default_branch", in: "repository"))
    }

    /// An optional list of file paths (`added`, `removed`, `modified`).
    static func paths(_ fields: Fields, _ key: String, in path: String) throws(WebhookPayloadError) -> [String]? {
        guard let value = try optional(fields, key, in: path) else { return nil }
        let listPath = join(path, key)
        let list = try array(value, listPath)
        var paths: [String] = []
        paths.reserveCapacity(list.count)
        for (index, element) in list.enumerated() {
            switch element {
            case .string(let text): paths.append(text)
            case .null: throw WebhookPayloadError("field \(listPath)[\(index)] is null")
            default: throw WebhookPayloadError("field \(listPath)[\(index)] has the wrong type")
            }
        }
        return paths
    }

    // MARK: - Fields

    /// The value of `key`; the first one when a key repeats, as `JSONDecoder` reads it.
    static func lookup(_ fields: Fields, _ key: String) -> PayloadJSON? {
        fields.first { $0.key == key }?.value
    }

    static func required(_ fields: Fields, _ key: String, in path: String) throws(WebhookPayloadError) -> PayloadJSON {
        guard let value = lookup(fields, key) else { throw WebhookPayloadError("missing field \(join(path, key))") }
        if case .null = value { throw WebhookPayloadError("field \(join(path, key)) is null") }
        return value
    }

    /// Absent and `null` alike mean none, as `decodeIfPresent` has it.
    static func optional(_ fields: Fields, _ key: String, in path: String) throws(WebhookPayloadError) -> PayloadJSON? {
        guard let value = lookup(fields, key) else { return nil }
        if case .null = value { return nil }
        return value
    }

    static func string(_ fields: Fields, _ key: String, in path: String) throws(WebhookPayloadError) -> String {
        guard case .string(let text) = try required(fields, key, in: path) else {
            throw WebhookPayloadError("field \(join(path, key)) has the wrong type")
        }
        return text
    }

    static func optionalString(_ fields: Fields, _ key: String, in path: String) throws(WebhookPayloadError) -> String? {
        guard let value = try optional(fields, key, in: path) else { return nil }
        guard case .string(let text) = value else { throw WebhookPayloadError("field \(join(path, key)) has the wrong type") }
        return text
    }

    /// A `null` flag is of the wrong type, not missing: `JSONDecoder`'s wording.
    static func bool(_ fields: Fields, _ key: String, in path: String) throws(WebhookPayloadError) -> Bool {
        guard let value = lookup(fields, key) else { throw WebhookPayloadError("missing field \(join(path, key))") }
        guard case .bool(let flag) = value else {
            throw WebhookPayloadError("field \(join(path, key)) has the wrong type")
        }
        return flag
    }

    static func object(_ value: PayloadJSON, _ path: String) throws(WebhookPayloadError) -> Fields {
        switch value {
        case .object(let fields): return fields
        case .null: throw WebhookPayloadError("field \(path) is null")
        default: throw WebhookPayloadError("field \(path) has the wrong type")
        }
    }

    static func array(_ value: PayloadJSON, _ path: String) throws(WebhookPayloadError) -> [PayloadJSON] {
        guard case .array(let elements) = value else { throw WebhookPayloadError("field \(path) has the wrong type") }
        return elements
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : path + "." + key }
}
