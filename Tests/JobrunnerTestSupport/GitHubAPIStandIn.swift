import Foundation
import JobrunnerCore
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The GitHub REST API stand-in (Tests/Support/github-standin.py) on a loopback port: the Git
/// Data, contents, pulls, reviews, statuses, comments and App endpoints, applied to real bare
/// repositories, with injectable faults and a log of every request.
public struct GitHubAPIStandIn: Sendable {
    private let helper: LocalHelperProcess
    public var port: Int { helper.port }
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// - Parameter configuration: the JSON object the script documents (repositories, tokens,
    ///   app, pulls, race).
    public static func start(_ configuration: [String: Any], in directory: TemporaryDirectory) async throws -> GitHubAPIStandIn {
        let path = directory.file("standin-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: configuration).write(to: URL(fileURLWithPath: path))
        return GitHubAPIStandIn(helper: try await LocalHelperProcess.start(script: "github-standin.py", arguments: [path]))
    }

    public func stop() { helper.stop() }

    /// One request the stand-in received.
    public struct Request: Sendable, Decodable {
        public var method: String
        public var path: String
        public var query: [String: String]
        public var authorization: String?
        public var apiVersion: String?
        public var headers: [String: String]
        public var raw: String
        /// The status it was answered with.
        public var status: Int?
        /// When it arrived (seconds since 1970).
        public var at: Double?
        public var body: Data { Data(base64Encoded: raw) ?? Data() }

        enum CodingKeys: String, CodingKey {
            case method, path, query, authorization, headers, raw, status, at
            case apiVersion = "api_version"
        }
        /// The JSON body, decoded.
        public func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        }
        public func header(_ name: String) -> String? {
            headers.first { $0.key.lowercased() == name.lowercased() }?.value
        }
    }

    public func requests() async throws -> [Request] {
        try JSONDecoder().decode([Request].self, from: try await call("GET", "/_standin/requests"))
    }

    /// Ends every injected fault (an outage is over).
    /// Replaces pull-request entries (`{"owner/name": {"pulls": {"7": PR}, "reviews": {"7": [REVIEW]}}}`).
    public func updatePulls(_ pulls: [String: Any]) async throws {
        _ = try await call("POST", "/_standin/pulls", body: try JSONSerialization.data(withJSONObject: pulls))
    }

    /// The comments created so far, by id, each with its issue and current body.
    public func comments() async throws -> [Int: (issue: Int, body: String)] {
        let data = try await call("GET", "/_standin/comments")
        let all = (try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]]) ?? [:]
        var comments: [Int: (issue: Int, body: String)] = [:]
        for (id, comment) in all {
            if let id = Int(id), let issue = comment["issue"] as? Int, let body = comment["body"] as? String { comments[id] = (issue, body) }
        }
        return comments
    }

    public func clearFaults() async throws {
        _ = try await call("DELETE", "/_standin/faults")
    }

    /// Queues answers: `[["method": "PATCH", "path": "/repos/…", "status": 502, "times": 1, "apply": true]]`.
    public func inject(_ faults: [[String: Any]]) async throws {
        _ = try await call("POST", "/_standin/faults", body: try JSONSerialization.data(withJSONObject: faults))
    }

    private func call(_ method: String, _ path: String, body: Data? = nil) async throws -> Data {
        var request = URLRequest(url: URL(string: baseURL + path)!)
        request.httpMethod = method
        request.httpBody = body
        let (data, _) = try await URLSession.shared.data(for: request)
        return data
    }
}
