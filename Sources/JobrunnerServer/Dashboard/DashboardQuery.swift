import Foundation
import Hummingbird
import JobrunnerCore
import JobrunnerStore

/// The list filters as query parameters, shared by the dashboard and the API:
/// `state`, `repository`, `q` (path, pusher, author), `before` (keyset paging), `limit`.
enum DashboardQuery {
    static let defaultLimit = 50
    static let maximumLimit = 200

    static func filter(from query: Parameters) throws -> PipelineFilter {
        var filter = PipelineFilter(limit: defaultLimit)
        if let state = query["state"].map(String.init), !state.isEmpty {
            guard let status = PipelineStatus(rawValue: state) else {
                throw APIRequestError(
                    message: "state must be one of \(PipelineStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            filter.status = status
        }
        if let repository = query["repository"].map(String.init), !repository.isEmpty {
            guard let name = RepositoryName(rawValue: repository) else {
                throw APIRequestError(message: "repository must be owner/name")
            }
            filter.repository = name
        }
        if let text = query["q"].map(String.init), !text.isEmpty { filter.text = String(text.prefix(200)) }
        if let before = query["before"].map(String.init), !before.isEmpty {
            guard let id = Int64(before), id > 0 else { throw APIRequestError(message: "before must be a pipeline id") }
            filter.before = PipelineID(id)
        }
        if let limit = query["limit"].map(String.init), !limit.isEmpty {
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
