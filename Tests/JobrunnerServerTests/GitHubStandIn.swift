import Foundation
import JobrunnerCore
import HTTPTypes
import Hummingbird
import JobrunnerTestSupport
import NIOCore

/// A local stand-in for api.github.com, for what cannot run here. It implements
/// `GET /repos/{owner}/{repo}/compare/{base}...{head}` as GitHub documents it: bearer-token
/// auth, commits paginated with `per_page`/`page` and `Link` headers, files only on the first
/// page, GitHub's error bodies and rate-limit headers.
final class GitHubStandIn: Sendable {
    struct StoredComparison: Sendable {
        var commits: [(sha: String, message: String, login: String)]
        var files: [(filename: String, status: String)]
    }

    struct Failure: Sendable {
        var status: HTTPResponse.Status
        var headers: [String: String] = [:]
        var message: String
    }

    let token: String
    let comparisons = Locked<[String: StoredComparison]>([:])
    let requests = Locked<[(uri: String, authorization: String?)]>([])
    let failure = Locked<Failure?>(nil)

    init(token: String = "ghs_standin_token") { self.token = token }

    func setComparison(repository: String, base: String, head: String, _ comparison: StoredComparison) {
        comparisons.withLock { $0["\(repository)/\(base)...\(head)"] = comparison }
    }

    var application: some ApplicationProtocol {
        let router = Router()
        router.get("/repos/:owner/:repo/compare/:basehead") { request, context in
            self.compare(request, context)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    private func compare(_ request: Request, _ context: BasicRequestContext) -> Response {
        let authorization = request.headers[.authorization]
        requests.withLock { $0.append((request.uri.description, authorization)) }
        if let failure = failure.value {
            var fields = HTTPFields()
            for (name, value) in failure.headers { fields[HTTPField.Name(name)!] = value }
            return json(failure.status, ["message": failure.message, "documentation_url": "https://docs.github.com/rest"], fields)
        }
        guard authorization == "Bearer \(token)" else {
            return json(.unauthorized, ["message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"])
        }
        let owner = context.parameters.get("owner") ?? ""
        let repo = context.parameters.get("repo") ?? ""
        let basehead = context.parameters.get("basehead") ?? ""
        guard let stored = comparisons.value["\(owner)/\(repo)/\(basehead)"] else {
            return json(.notFound, ["message": "Not Found", "documentation_url": "https://docs.github.com/rest/commits/commits#compare-two-commits"])
        }
        let perPage = min(max(Int(request.uri.queryParameters.get("per_page") ?? "") ?? 250, 1), 250)
        let page = max(Int(request.uri.queryParameters.get("page") ?? "") ?? 1, 1)
        let pageCount = max(1, (stored.commits.count + perPage - 1) / perPage)
        let slice = stored.commits.dropFirst((page - 1) * perPage).prefix(perPage)
        let parts = basehead.components(separatedBy: "...")
        let api = "https://api.github.com/repos/\(owner)/\(repo)"
        var body: [String: Any] = [
            "url": "\(api)/compare/\(basehead)",
            "html_url": "https://github.com/\(owner)/\(repo)/compare/\(basehead)",
            "permalink_url": "https://github.com/\(owner)/\(repo)/compare/\(owner):\(basehead)",
            "diff_url": "https://github.com/\(owner)/\(repo)/compare/\(basehead).diff",
            "patch_url": "https://github.com/\(owner)/\(repo)/compare/\(basehead).patch",
            "base_commit": commitObject(sha: parts.first ?? "", message: "base", login: "alice", api: api),
            "merge_base_commit": commitObject(sha: parts.first ?? "", message: "base", login: "alice", api: api),
            "status": "diverged",
            "ahead_by": stored.commits.count,
            "behind_by": 1,
            "total_commits": stored.commits.count,
            "commits": slice.map { commitObject(sha: $0.sha, message: $0.message, login: $0.login, api: api) },
        ]
        if page == 1 {
            body["files"] = stored.files.map { file in
                [
                    "sha": String(repeating: "b", count: 40), "filename": file.filename, "status": file.status,
                    "additions": 12, "deletions": 0, "changes": 12,
                    "blob_url": "https://github.com/\(owner)/\(repo)/blob/\(parts.last ?? "")/\(file.filename)",
                    "raw_url": "https://github.com/\(owner)/\(repo)/raw/\(parts.last ?? "")/\(file.filename)",
                    "contents_url": "\(api)/contents/\(file.filename)?ref=\(parts.last ?? "")",
                    "patch": "@@ -0,0 +1,12 @@",
                ] as [String: Any]
            }
        }
        var headers = HTTPFields()
        let host = request.head.authority ?? "127.0.0.1"
        func link(_ page: Int, _ rel: String) -> String {
            "<http://\(host)/repos/\(owner)/\(repo)/compare/\(basehead)?per_page=\(perPage)&page=\(page)>; rel=\"\(rel)\""
        }
        var links: [String] = []
        if page > 1 { links += [link(page - 1, "prev"), link(1, "first")] }
        if page < pageCount { links += [link(page + 1, "next"), link(pageCount, "last")] }
        if !links.isEmpty { headers[HTTPField.Name("Link")!] = links.joined(separator: ", ") }
        headers[HTTPField.Name("X-RateLimit-Remaining")!] = "4999"
        return json(.ok, body, headers)
    }

    private func commitObject(sha: String, message: String, login: String, api: String) -> [String: Any] {
        [
            "sha": sha, "node_id": "C_kwDO\(sha.prefix(8))", "url": "\(api)/commits/\(sha)",
            "html_url": "https://github.com/commit/\(sha)", "comments_url": "\(api)/commits/\(sha)/comments",
            "commit": [
                "author": ["name": login, "email": "\(login)@acme.example", "date": "2026-11-22T09:00:00Z"],
                "committer": ["name": "GitHub", "email": "noreply@github.com", "date": "2026-11-22T09:00:00Z"],
                "message": message, "tree": ["sha": String(repeating: "c", count: 40), "url": "\(api)/git/trees/x"],
                "url": "\(api)/git/commits/\(sha)", "comment_count": 0,
            ] as [String: Any],
            "author": ["login": login, "id": 1, "type": "User"],
            "committer": ["login": "web-flow", "id": 19_864_447, "type": "User"],
            "parents": [["sha": String(repeating: "d", count: 40), "url": "\(api)/commits/x"]],
        ]
    }

    private func json(_ status: HTTPResponse.Status, _ object: [String: Any], _ headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
