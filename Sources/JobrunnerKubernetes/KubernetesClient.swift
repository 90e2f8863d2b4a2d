import AsyncHTTPClient
import Foundation
import JobrunnerCore
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The Kubernetes REST API over HTTP(S): JSON objects in and out, a bearer token per request
/// (re-read when its file changes), the cluster's CA. Calls that read are retried on network
/// trouble and 5xx; a create is sent once — its retry is the runner's, by the same name.
public struct KubernetesClient: KubernetesAPI {
    public let connection: KubernetesConnection
    private let tokens: TokenReader
    private let timeout: TimeAmount

    public init(connection: KubernetesConnection, timeout: TimeAmount = .seconds(30)) {
        self.connection = connection
        self.tokens = TokenReader(connection.token)
        self.timeout = timeout
    }

    public func create(_ resource: KubernetesResource, namespace: String, _ object: JSONValue) async throws -> JSONValue {
        let path = resource.path(namespace: namespace)
        let response = try await send("POST", path, body: object.encoded(), retries: 0)
        return try Self.object(response, path: path)
    }

    public func get(_ resource: KubernetesResource, namespace: String, name: String) async throws -> JSONValue? {
        let path = resource.path(namespace: namespace, name: name)
        let response = try await send("GET", path, allowNotFound: true)
        if response.status == 404 { return nil }
        return try Self.object(response, path: path)
    }

    public func list(_ resource: KubernetesResource, namespace: String, labelSelector: String) async throws -> [JSONValue] {
        let path = resource.path(namespace: namespace) + "?labelSelector=" + Self.queryEscape(labelSelector)
        let response = try await send("GET", path)
        guard let items = try Self.object(response, path: path)["items"]?.array else {
            throw KubernetesAPIError.invalidResponse(path: path, reason: "a list without items")
        }
        return items
    }

    public func delete(_ resource: KubernetesResource, namespace: String, name: String, propagationPolicy: String) async throws {
        // The policy both as a query parameter and in DeleteOptions: the API server accepts either.
        let path = resource.path(namespace: namespace, name: name) + "?propagationPolicy=" + Self.queryEscape(propagationPolicy)
        let options: JSONValue = ["kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": .string(propagationPolicy)]
        _ = try await send("DELETE", path, body: options.encoded(), allowNotFound: true)
    }

    public func followLog(namespace: String, pod: String, container: String) async throws -> AsyncThrowingStream<[UInt8], any Error> {
        let path = KubernetesResource.pods.path(namespace: namespace, name: pod) + "/log?follow=true&container=" + Self.queryEscape(container)
        let request = try await request("GET", path, body: nil)
        let response: HTTPClientResponse
        do {
            response = try await KubernetesHTTP.client.execute(request, timeout: timeout)
        } catch {
            throw KubernetesAPIError.unreachable(server: connection.server, reason: "\(error)")
        }
        guard response.status.code == 200 else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Data(buffer: $0) } ?? Data()
            throw Self.statusError("GET", path, code: Int(response.status.code), body: body)
        }
        let body = response.body
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await buffer in body { continuation.yield(Array(buffer.readableBytesView)) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    // MARK: - Requests

    struct Answer {
        var status: Int
        var body: Data
    }

    private func request(_ method: String, _ path: String, body: Data?) async throws -> HTTPClientRequest {
        var request = HTTPClientRequest(url: connection.server + path)
        request.method = HTTPMethod(rawValue: method)
        request.tlsConfiguration = connection.tls
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "jobrunner")
        if let token = try await tokens.current() { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: body))
        }
        return request
    }

    private func send(_ method: String, _ path: String, body: Data? = nil, allowNotFound: Bool = false, retries: Int = 2) async throws
        -> Answer
    {
        var delay = Duration.milliseconds(300)
        var tries = 0
        while true {
            tries += 1
            let answer: Answer
            do {
                let response = try await KubernetesHTTP.client.execute(try await request(method, path, body: body), timeout: timeout)
                answer = Answer(status: Int(response.status.code), body: Data(buffer: try await response.body.collect(upTo: 64 << 20)))
            } catch let error as KubernetesCredentialsError {
                throw error
            } catch {
                if tries > retries || Task.isCancelled { throw KubernetesAPIError.unreachable(server: connection.server, reason: "\(error)") }
                try await Task.sleep(for: delay)
                delay *= 3
                continue
            }
            if (200..<300).contains(answer.status) || (allowNotFound && answer.status == 404) { return answer }
            if answer.status >= 500 && tries <= retries {
                try await Task.sleep(for: delay)
                delay *= 3
                continue
            }
            throw Self.statusError(method, path, code: answer.status, body: answer.body)
        }
    }

    static func statusError(_ method: String, _ path: String, code: Int, body: Data) -> KubernetesAPIError {
        let status = try? JSONValue.decode(body)
        return .status(
            method: method, path: path, code: code, reason: status?["reason"]?.string,
            message: status?["message"]?.string ?? (status == nil ? String(decoding: body.prefix(300), as: UTF8.self) : nil))
    }

    static func object(_ answer: Answer, path: String) throws -> JSONValue {
        do {
            return try JSONValue.decode(answer.body)
        } catch {
            throw KubernetesAPIError.invalidResponse(path: path, reason: "not JSON: \(error)")
        }
    }

    static func queryEscape(_ text: String) -> String {
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+,/?#")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}

/// The process's one HTTP client for the Kubernetes API: no read timeout, since a followed log
/// is quiet while the script is (reads that must end have their own deadline).
enum KubernetesHTTP {
    static let client: HTTPClient = {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.timeout = .init(connect: .seconds(10), read: nil)
        configuration.redirectConfiguration = .disallow
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()
}

/// The bearer token now: a file is read again when its modification time or size changed.
actor TokenReader {
    private let source: KubernetesToken?
    private var cached: (token: String, stamp: String)?

    init(_ source: KubernetesToken?) { self.source = source }

    func current() throws(KubernetesCredentialsError) -> String? {
        switch source {
        case nil: return nil
        case .fixed(let token)?: return token
        case .file(let path)?:
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let stamp = "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)/\(attributes?[.size] ?? 0)"
            if let cached, cached.stamp == stamp { return cached.token }
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw KubernetesCredentialsError("the token file \(path) cannot be read")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            cached = (token, stamp)
            return token
        }
    }
}
