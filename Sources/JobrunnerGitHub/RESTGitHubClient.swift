import AsyncHTTPClient
import Foundation
import JobrunnerCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// `GitHubAPI` over HTTPS with AsyncHTTPClient. Works with github.com and GitHub Enterprise
/// (`JOBRUNNER_GITHUB_API_URL`), follows `Link: rel="next"` pagination, and maps rate limits
/// and 5xx answers to transient errors.
public struct RESTGitHubClient: GitHubAPI {
    public let baseURL: String
    private let credentials: any GitHubTokenProvider
    private let httpClient: HTTPClient
    private let timeout: TimeAmount
    /// Pages of commits to read at most (100 commits each).
    private let maxPages: Int

    public init(
        baseURL: String, credentials: any GitHubTokenProvider, httpClient: HTTPClient = .shared,
        timeout: TimeAmount = .seconds(8), maxPages: Int = 50
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.credentials = credentials
        self.httpClient = httpClient
        self.timeout = timeout
        self.maxPages = maxPages
    }

    public func compare(_ repository: RepositoryName, base: String, head: String) async throws -> Comparison {
        var url: String? =
            "\(baseURL)/repos/\(repository.owner)/\(repository.name)/compare/\(Self.escape(base))...\(Self.escape(head))?per_page=100"
        var comparison = Comparison(commits: [], files: [])
        var page = 0
        while let next = url {
            page += 1
            guard page <= maxPages else {
                throw GitHubAPIError.invalidResponse(url: next, reason: "more than \(maxPages) pages of commits")
            }
            let (body, headers) = try await get(next)
            let decoded: CompareResponse
            do {
                decoded = try JSONDecoder().decode(CompareResponse.self, from: body)
            } catch {
                throw GitHubAPIError.invalidResponse(url: next, reason: "\(error)")
            }
            comparison.commits += decoded.commits.map {
                Comparison.Commit(sha: $0.sha, message: $0.commit.message, authorLogin: $0.author?.login)
            }
            if page == 1 {
                comparison.files = (decoded.files ?? []).map {
                    Comparison.File(filename: $0.filename, status: $0.status, previousFilename: $0.previousFilename)
                }
            }
            url = Self.nextLink(headers["Link"].first)
        }
        return comparison
    }

    private func get(_ url: String) async throws -> (Data, HTTPHeaders) {
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        request.headers.add(name: "X-GitHub-Api-Version", value: "2022-11-28")
        request.headers.add(name: "User-Agent", value: "jobrunner")
        request.headers.add(name: "Authorization", value: "Bearer \(try await credentials.token())")
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: 32 * 1024 * 1024)
        } catch {
            throw GitHubAPIError.transport(url: url, reason: "\(error)")
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let remaining = response.headers["X-RateLimit-Remaining"].first
            if status == 429 || (status == 403 && remaining == "0") {
                throw GitHubAPIError.rateLimited(url: url, resetAt: response.headers["X-RateLimit-Reset"].first.flatMap { Int($0) })
            }
            let message = (try? JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: body)))?.message
                ?? String(buffer: body).prefix(200).description
            throw GitHubAPIError.http(status: status, url: url, message: message)
        }
        return (Data(buffer: body), response.headers)
    }

    /// The `rel="next"` URL of a `Link` header.
    static func nextLink(_ header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count >= 2, pieces.dropFirst().contains(where: { $0 == "rel=\"next\"" }),
                pieces[0].hasPrefix("<"), pieces[0].hasSuffix(">")
            else { continue }
            return String(pieces[0].dropFirst().dropLast())
        }
        return nil
    }

    static func escape(_ ref: String) -> String {
        ref.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "?#"))) ?? ref
    }

    private struct CompareResponse: Decodable {
        struct CommitEntry: Decodable {
            struct Inner: Decodable { var message: String }
            struct Author: Decodable { var login: String }
            var sha: String
            var commit: Inner
            var author: Author?
        }
        struct FileEntry: Decodable {
            var filename: String
            var status: String
            var previousFilename: String?
            enum CodingKeys: String, CodingKey {
                case filename, status
                case previousFilename = "previous_filename"
            }
        }
        var commits: [CommitEntry]
        var files: [FileEntry]?
    }

    private struct ErrorResponse: Decodable { var message: String }
}
