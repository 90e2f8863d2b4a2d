import Foundation
import Hummingbird
import JobrunnerCore
import JobrunnerStore

/// The list filters as query parameters, shared by the dashboard and the API:
/// `state` (or its alias `status`, the field's name), `repository`, `q` (path, pusher, author),
/// `before` / `after` (keyset paging: older / newer than a pipeline id), `limit`.
enum DashboardQuery {
    static let defaultLimit = 50
    static let maximumLimit = 200

    static func filter(from query: [String: String]) throws -> PipelineFilter {
        var filter = PipelineFilter(limit: defaultLimit)
        // `status` is the field's name, `state` the filter's: one filter; `state` wins when both are given.
        var statuses: [PipelineStatus] = []
        for name in ["state", "status"] {
            guard let value = query[name], !value.isEmpty else { continue }
            guard let status = PipelineStatus(rawValue: value) else {
                throw APIRequestError(
                    message: "\(name) must be one of \(PipelineStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            statuses.append(status)
        }
        filter.status = statuses.first
        if let repository = query["repository"], !repository.isEmpty {
            guard let name = RepositoryName(rawValue: repository) else {
                throw APIRequestError(message: "repository must be owner/name")
            }
            filter.repository = name
        }
        if let text = query["q"], !text.isEmpty { filter.text = String(text.prefix(200)) }
        // Forms send empty text fields; the paging numbers come from links, so empty is an error.
        if let before = query["before"] {
            guard let id = Int64(before), id > 0 else { throw APIRequestError(message: "before must be a pipeline id") }
            filter.before = PipelineID(id)
        }
        if let after = query["after"] {
            guard let id = Int64(after), id >= 0 else { throw APIRequestError(message: "after must be a pipeline id, or 0 for the oldest page") }
            filter.after = PipelineID(id)
        }
        if let limit = query["limit"] {
            guard let value = Int(limit), (1...maximumLimit).contains(value) else {
                throw APIRequestError(message: "limit must be a whole number in 1…\(maximumLimit)")
            }
            filter.limit = value
        }
        return filter
    }

    /// The query parameters that reproduce `filter` (without paging).
    static func parameters(of filter: PipelineFilter) -> [String: String] {
        var parameters: [String: String] = [:]
        if let status = filter.status { parameters["state"] = status.rawValue }
        if let repository = filter.repository { parameters["repository"] = repository.rawValue }
        if let text = filter.text { parameters["q"] = text }
        return parameters
    }

    static func encode(_ parameters: [String: String]) -> String {
        parameters.sorted { $0.key < $1.key }.map { "\($0.key)=\(escape($0.value))" }.joined(separator: "&")
    }

    /// A query value, percent-encoded.
    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?#")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
