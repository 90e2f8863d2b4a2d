import AsyncHTTPClient
import Foundation
import JobrunnerCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// One GitHub REST call at a time, done right: the documented headers, a bearer token per
/// repository, JSON in and out, and retries with backoff for what passes by itself — 5xx,
/// network trouble, and rate limits that reset soon (`Retry-After`, `X-RateLimit-Reset`).
/// Other 4xx answers are thrown at once as `GitHubAPIError.http`, for the caller to judge.
public struct GitHubRequester: Sendable {
    public let baseURL: String
    private let httpClient: HTTPClient
    private let timeout: TimeAmount
    private let clock: any JobClock
    /// Tries per call, the first included.
    public let maxAttempts: Int
    /// Waits after the first, second, … failed try.
    public let backoff: [Duration]
    /// The longest a call waits for a rate limit to reset; beyond it, the error is the stage's
    /// to retry later.
    public let maxRateLimitWait: Duration

    public init(
        baseURL: String, httpClient: HTTPClient = .shared, timeout: TimeAmount = .seconds(15),
        clock: any JobClock = SystemClock(), maxAttempts: Int = 4,
        backoff: [Duration] = [.seconds(1), .seconds(4), .seconds(10)], maxRateLimitWait: Duration = .seconds(60)
    ) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.httpClient = httpClient
        self.timeout = timeout
        self.clock = clock
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.maxRateLimitWait = maxRateLimitWait
    }

    /// The requester webhook intake uses: intake must answer GitHub within its 10 s budget, so
    /// one quick retry and no waiting for rate limits.
    public static func forIntake(baseURL: String, httpClient: HTTPClient = .shared) -> GitHubRequester {
        GitHubRequester(
            baseURL: baseURL, httpClient: httpClient, timeout: .seconds(8), maxAttempts: 2, backoff: [.milliseconds(300)],
            maxRateLimitWait: .zero)
    }

    /// The requester the feedback outbox uses: the outbox retries with backoff and defers rate
    /// limits itself, so one quick retry here.
    public static func forFeedback(baseURL: String, httpClient: HTTPClient = .shared) -> GitHubRequester {
        GitHubRequester(
            baseURL: baseURL, httpClient: httpClient, timeout: .seconds(10), maxAttempts: 2, backoff: [.milliseconds(500)],
            maxRateLimitWait: .zero)
    }

    /// A successful answer.
    public struct Response: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: Data

        public func decode<T: Decodable>(_ type: T.Type, url: String) throws -> T {
            do {
                return try JSONDecoder().decode(type, from: body)
            } catch {
                throw GitHubAPIError.invalidResponse(url: url, reason: "\(error)")
            }
        }
    }

    /// Same scheme, host and port.
    static func sameOrigin(_ url: String, _ base: String) -> Bool {
        guard let target = URLComponents(string: url), let api = URLComponents(string: base),
            let host = target.host?.lowercased(), !host.isEmpty
        else { return false }
        func port(_ components: URLComponents) -> Int? { components.port ?? (components.scheme == "https" ? 443 : components.scheme == "http" ? 80 : nil) }
        return target.scheme == api.scheme && host == api.host?.lowercased() && port(target) == port(api)
    }

    /// `path` is relative to the API root (`/repos/…`) or an absolute URL (a `Link` header's)
    /// on the API's own host.
    public func send(
        _ method: HTTPMethod, _ path: String, token: String, body: (any Encodable & Sendable)? = nil
    ) async throws -> Response {
        let url: String
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            // A `Link` from an answer: followed only to the configured API, or the token would go
            // to whichever host the answer names.
            guard Self.sameOrigin(path, baseURL) else {
                throw GitHubAPIError.invalidResponse(
                    url: path, reason: "it points outside the configured API \(baseURL) (JOBRUNNER_GITHUB_API_URL); the token is not sent there")
            }
            url = path
        } else {
            url = baseURL + path
        }
        let payload = try body.map { try JSONEncoder().encode($0) }
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await once(method, url, token: token, payload: payload)
            } catch let error as GitHubAPIError {
                guard error.failureKind == .transient, attempt < maxAttempts, let wait = delay(after: error, attempt: attempt)
                else { throw error }
                try await clock.sleep(for: wait)
            }
        }
    }

    /// How long to wait before the next try, or nil when waiting here is pointless.
    private func delay(after error: GitHubAPIError, attempt: Int) -> Duration? {
        let planned = backoff.isEmpty ? Duration.seconds(1) : backoff[min(attempt - 1, backoff.count - 1)]
        switch error {
        case let .rateLimited(_, resetAt, retryAfter):
            if let retryAfter { return retryAfter <= maxRateLimitWait ? max(retryAfter, .zero) : nil }
            guard let resetAt else { return planned }
            let wait = Duration.seconds(max(0, Double(resetAt) - clock.now().timeIntervalSince1970) + 1)
            return wait <= maxRateLimitWait ? wait : nil
        default:
            return planned
        }
    }

    private func once(_ method: HTTPMethod, _ url: String, token: String, payload: Data?) async throws -> Response {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Accept", value: "application/vnd.github+json")
        request.headers.add(name: "X-GitHub-Api-Version", value: "2022-11-28")
        request.headers.add(name: "User-Agent", value: "jobrunner")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let payload {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: payload))
        }
        let response: HTTPClientResponse
        let body: ByteBuffer
        do {
            response = try await httpClient.execute(request, timeout: timeout)
            body = try await response.body.collect(upTo: 64 * 1024 * 1024)
        } catch {
            throw GitHubAPIError.transport(url: url, reason: "\(error)")
        }
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let remaining = response.headers["X-RateLimit-Remaining"].first
            let retryAfter = response.headers["Retry-After"].first.flatMap { Int($0) }.map { Duration.seconds($0) }
            if status == 429 || (status == 403 && (remaining == "0" || retryAfter != nil)) {
                throw GitHubAPIError.rateLimited(
                    url: url, resetAt: response.headers["X-RateLimit-Reset"].first.flatMap { Int($0) }, retryAfter: retryAfter)
            }
            let message = (try? JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: body)))?.message
                ?? String(buffer: body).prefix(200).description
            throw GitHubAPIError.http(status: status, url: url, message: message)
        }
        return Response(status: status, headers: response.headers, body: Data(buffer: body))
    }

    private struct ErrorResponse: Decodable { var message: String }
}

extension GitHubAPIError {
    /// The HTTP status GitHub answered with, for callers that treat some 4xx as answers (404:
    /// not there; 422: not a fast-forward).
    public var status: Int? {
        if case let .http(status, _, _) = self { return status }
        return nil
    }
}
