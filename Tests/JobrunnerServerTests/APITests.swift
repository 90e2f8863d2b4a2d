import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
@testable import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import NIOCore
import Testing

@Suite("JSON API")
struct APITests {
    static let alice = OperatorHarness.bearer(OperatorHarness.aliceToken)

    /// The targets of a `Link` header by relation.
    static func links(_ header: String?) -> [String: String] {
        var links: [String: String] = [:]
        for part in (header ?? "").split(separator: ",") {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.count == 2, pieces[0].hasPrefix("<"), pieces[0].hasSuffix(">"), pieces[1].hasPrefix("rel=\"") else { continue }
            links[String(pieces[1].dropFirst(5).dropLast())] = String(pieces[0].dropFirst().dropLast())
        }
        return links
    }

    @Test
    func listsFilterAndPageWithLinkHeaders() async throws {
        let harness = try OperatorHarness()
        let ids = try await harness.record(5)
        try await harness.record(1, prefix: "other", author: "dave")
        try await harness.app().test(.router) { client in
            var seen: [Int64] = []
            var uri: String? = "/api/v1/pipelines?limit=2&q=script"
            var pages = 0
            var pageLinks: [[String: String]] = []
            while let next = uri, pages < 10 {
                let response = try await client.execute(uri: next, method: .get, headers: Self.alice)
                #expect(response.status == .ok)
                #expect(response.headers[.cacheControl] == "no-store")
                let page = try OperatorHarness.json(response)
                let pipelines = try #require(page["pipelines"] as? [[String: Any]])
                seen += pipelines.compactMap { $0["id"] as? Int64 ?? ($0["id"] as? Int).map(Int64.init) }
                #expect(pipelines.allSatisfy { ($0["script"] as? String)?.contains("script") == true })
                pages += 1
                let links = Self.links(response.headers[APIRoutes.linkHeader])
                pageLinks.append(links)
                #expect(links["first"] == "/api/v1/pipelines?limit=2&q=script")
                #expect(links["last"] == "/api/v1/pipelines?after=0&limit=2&q=script")
                #expect((links["prev"] != nil) == (pages > 1), "a newer page exists from the second page on")
                uri = links["next"]
                if let next = uri {
                    #expect(next.contains("q=script"), "filters carry over to the next page")
                    #expect((page["next_before"] as? Int).map(Int64.init) == seen.last)
                } else {
                    #expect(page["next_before"] == nil || page["next_before"] is NSNull)
                }
            }
            // prev of the last page leads back to the page before it; last is the oldest page.
            let back = try OperatorHarness.json(try await client.execute(uri: pageLinks[2]["prev"]!, method: .get, headers: Self.alice))
            #expect((back["pipelines"] as? [[String: Any]])?.compactMap { ($0["id"] as? Int).map(Int64.init) } == Array(seen[2..<4]))
            let oldest = try OperatorHarness.json(try await client.execute(uri: pageLinks[0]["last"]!, method: .get, headers: Self.alice))
            #expect((oldest["pipelines"] as? [[String: Any]])?.compactMap { ($0["id"] as? Int).map(Int64.init) } == Array(seen.suffix(2)))
            #expect(pages == 3)
            #expect(seen == ids.map(\.rawValue).reversed(), "every pipeline once, newest first")

            let byAuthor = try OperatorHarness.json(
                try await client.execute(uri: "/api/v1/pipelines?q=dave", method: .get, headers: Self.alice))
            #expect((byAuthor["pipelines"] as? [Any])?.count == 1)
            let none = try OperatorHarness.json(
                try await client.execute(uri: "/api/v1/pipelines?state=failed", method: .get, headers: Self.alice))
            #expect((none["pipelines"] as? [Any])?.isEmpty == true)
            for bad in ["state=melted", "status=melted", "repository=nope", "limit=0", "limit=1000", "before=-3", "after=-1"] {
                let response = try await client.execute(uri: "/api/v1/pipelines?" + bad, method: .get, headers: Self.alice)
                #expect(response.status == .badRequest, "\(bad)")
            }
        }
    }

    @Test
    func retryNeedsConfirmationForExecuteAndRecordsTheTokensName() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1)[0]
        // PROCESS succeeded, EXECUTE was interrupted (its worker vanished).
        _ = try await harness.store.runToSuccessForTests(.process)
        let execute = try #require(try await harness.store.claimNext(owner: "gone", kinds: [.execute], leaseDuration: .seconds(1)))
        try await harness.store.release(execute.lease, reason: "worker stopped")
        #expect(try await harness.store.stage(id, .execute)?.state == .interrupted)

        try await harness.app().test(.router) { client in
            let uri = "/api/v1/pipelines/\(id.rawValue)/stages/execute/retry"
            let unconfirmed = try await client.execute(
                uri: uri, method: .post, headers: Self.alice, body: ByteBuffer(string: #"{"reason":"db is back"}"#))
            #expect(unconfirmed.status == .unprocessableContent)
            #expect((try OperatorHarness.json(unconfirmed)["error"] as? String)?.contains("confirm") == true)
            #expect(try await harness.store.stage(id, .execute)?.state == .interrupted, "not queued")

            let malformed = try await client.execute(uri: uri, method: .post, headers: Self.alice, body: ByteBuffer(string: "{"))
            #expect(malformed.status == .badRequest)

            let confirmed = try await client.execute(
                uri: uri, method: .post, headers: Self.alice,
                body: ByteBuffer(string: #"{"reason":"db is back","confirm":true}"#))
            #expect(confirmed.status == .accepted)
            let stage = try #require(try OperatorHarness.json(confirmed)["stage"] as? [String: Any])
            #expect(stage["state"] as? String == "queued")
            let actions = try #require(try await harness.store.pipeline(id)).operatorActions
            #expect(actions.map(\.operatorName) == ["alice"])
            #expect(actions.map(\.reason) == ["db is back"])

            // Queued now: retrying again, or a stage that does not exist yet, is refused.
            let again = try await client.execute(
                uri: uri, method: .post, headers: Self.alice, body: ByteBuffer(string: #"{"confirm":true}"#))
            #expect(again.status == .conflict)
            let cleanup = try await client.execute(
                uri: "/api/v1/pipelines/\(id.rawValue)/stages/cleanup/retry", method: .post, headers: Self.alice)
            #expect(cleanup.status == .notFound)
            let unknownKind = try await client.execute(
                uri: "/api/v1/pipelines/\(id.rawValue)/stages/deploy/retry", method: .post, headers: Self.alice)
            #expect(unknownKind.status == .badRequest)
            let missing = try await client.execute(uri: "/api/v1/pipelines/999/cancel", method: .post, headers: Self.alice)
            #expect(missing.status == .notFound)
        }
    }

    @Test
    func cancelAnswersWhatHappened() async throws {
        let harness = try OperatorHarness()
        let ids = try await harness.record(2)
        _ = try await harness.store.runToSuccessForTests(.process)
        _ = try #require(try await harness.store.claimNext(owner: "node-b/w0", kinds: [.execute], leaseDuration: .seconds(60)))
        try await harness.app().test(.router) { client in
            let stop = try await client.execute(
                uri: "/api/v1/pipelines/\(ids[0].rawValue)/cancel", method: .post, headers: Self.alice,
                body: ByteBuffer(string: #"{"reason":"runaway"}"#))
            #expect(stop.status == .accepted)
            #expect(try OperatorHarness.json(stop)["outcome"] as? String == "stop-requested")
            let queued = try await client.execute(
                uri: "/api/v1/pipelines/\(ids[1].rawValue)/cancel", method: .post,
                headers: OperatorHarness.bearer(OperatorHarness.bobToken))
            #expect(queued.status == .accepted)
            let answer = try OperatorHarness.json(queued)
            #expect(answer["outcome"] as? String == "cancelled")
            #expect((answer["pipeline"] as? [String: Any])?["status"] as? String == "cancelled")
            let twice = try await client.execute(uri: "/api/v1/pipelines/\(ids[1].rawValue)/cancel", method: .post, headers: Self.alice)
            #expect(twice.status == .conflict)
        }
        #expect(try await harness.store.stage(ids[0], .execute)?.cancelRequestedBy == "alice")
        #expect(try await harness.store.pipeline(ids[1])?.operatorActions.map(\.operatorName) == ["bob"])
    }

    @Test
    func theOpenAPIDocumentDescribesExactlyTheRoutesAndTheirAnswers() async throws {
        let document = try OpenAPIDocument.load()
        #expect((document.root["openapi"] as? String)?.hasPrefix("3.1") == true)
        let documented = Set(document.operations.map { "\($0.method) \($0.path)" })
        let routed = Set(APIRoutes.operations.map { "\($0.method.rawValue) \($0.path)" })
        #expect(documented == routed)

        // Real answers of every operation validate against the documented schemas.
        let harness = try OperatorHarness { $0.gitRemoteTemplate = "https://github.com/{repository}.git" }
        let ids = try await harness.record(2)
        _ = try await harness.store.runToSuccessForTests(.process)
        let execute = try #require(try await harness.store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(60)))
        let run = try await harness.store.startExecution(lease: execute.lease)
        try await harness.store.appendOutput(execution: run, stdout: Array("hello\n".utf8), stderr: [])
        // A queued dry run, for the dry-run answers.
        let ops = try #require(RepositoryName(rawValue: "acme/ops"))
        let head = String(repeating: "e", count: 40)
        _ = try await harness.store.recordPullRequestDelivery(
            NewDelivery(id: DeliveryID("pr-1"), event: "pull_request", outcome: .accepted),
            signal: PullRequestSignal(repository: ops, number: 7, headCommit: head, isOpen: true))
        _ = try await harness.store.claimDryRunPullRequests(owner: "c", limit: 1, leaseDuration: .seconds(60))
        try await harness.store.settleDryRunEvaluation(
            DryRunEvaluation(
                repository: ops, number: 7, head: head, isOpen: true, status: "dry-running 1 script(s)",
                queue: [NewDryRun(scriptPath: "jobs/a.sh", blob: String(repeating: "1", count: 40))], approvers: ["bob"]),
            owner: "c")
        try await harness.app().test(.router) { client in
            let document = try OpenAPIDocument.load()
            let calls: [(HTTPRequest.Method, String, String, Int, String?)] = [
                (.get, "/api/v1/pipelines?limit=1", "/api/v1/pipelines", 200, nil),
                (.get, "/api/v1/pipelines/\(ids[0].rawValue)", "/api/v1/pipelines/{id}", 200, nil),
                (.get, "/api/v1/pipelines/999", "/api/v1/pipelines/{id}", 404, nil),
                (.post, "/api/v1/pipelines/\(ids[1].rawValue)/cancel", "/api/v1/pipelines/{id}/cancel", 202, #"{"reason":"r"}"#),
                (.post, "/api/v1/pipelines/\(ids[0].rawValue)/stages/process/retry", "/api/v1/pipelines/{id}/stages/{kind}/retry", 409, nil),
                (.get, "/api/v1/pipelines?state=x", "/api/v1/pipelines", 400, nil),
                (.get, "/api/v1/dry-runs?repository=acme/ops&pull_request=7", "/api/v1/dry-runs", 200, nil),
                (.get, "/api/v1/dry-runs/1", "/api/v1/dry-runs/{id}", 200, nil),
                (.get, "/api/v1/dry-runs/999", "/api/v1/dry-runs/{id}", 404, nil),
                (.get, "/api/v1/dry-runs?head=nothex", "/api/v1/dry-runs", 400, nil),
                (.post, "/api/v1/pipelines/\(ids[0].rawValue)/override-dry-run", "/api/v1/pipelines/{id}/override-dry-run", 409, #"{"reason":"r"}"#),
                (.post, "/api/v1/pipelines/\(ids[0].rawValue)/override-dry-run", "/api/v1/pipelines/{id}/override-dry-run", 422, nil),
            ]
            for (method, uri, path, status, body) in calls {
                let response = try await client.execute(
                    uri: uri, method: method, headers: Self.alice, body: body.map { ByteBuffer(string: $0) })
                #expect(response.status.code == status, "\(method) \(uri)")
                let schema = try document.responseSchema(method: method.rawValue, path: path, status: status)
                let value = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                let problems = document.validate(value, against: schema)
                #expect(problems.isEmpty, "\(method) \(uri): \(problems)")
            }
            let unauthorized = try await client.execute(uri: "/api/v1/pipelines", method: .get)
            let schema = try document.responseSchema(method: "GET", path: "/api/v1/pipelines", status: 401)
            #expect(document.validate(try JSONSerialization.jsonObject(with: Data(unauthorized.body.readableBytesView)), against: schema).isEmpty)
        }
        // The detail answer carried links and the running output.
        let detail = try #require(try await harness.store.pipeline(ids[0]))
        #expect(detail.summary.stage(.execute)?.state == .running)
    }
}

extension SQLitePipelineStore {
    /// Claims and completes the next stage of `kind`.
    func runToSuccessForTests(_ kind: StageKind) async throws -> ClaimedStage {
        let claimed = try #require(try await claimNext(owner: "w", kinds: [kind], leaseDuration: .seconds(60)))
        try await complete(claimed.lease, summary: nil)
        return claimed
    }
}

/// `docs/openapi.yaml`, read through python3-yaml, with a validator for the subset of JSON
/// Schema it uses ($ref, type and type lists, enum, required, properties, items).
struct OpenAPIDocument {
    let root: [String: Any]

    static func load() throws -> OpenAPIDocument {
        let path = DeploymentFilesTests.root.appendingPathComponent("docs/openapi.yaml").path
        let result = try runToCompletion(
            ["python3", "-c", "import json, sys, yaml; json.dump(yaml.safe_load(open(sys.argv[1])), sys.stdout)", path],
            in: DeploymentFilesTests.root.path)
        #expect(result.status == 0, "\(String(decoding: result.stderr, as: UTF8.self))")
        return OpenAPIDocument(root: try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any]))
    }

    var operations: [(method: String, path: String)] {
        let paths = root["paths"] as? [String: [String: Any]] ?? [:]
        return paths.flatMap { path, item in
            item.keys.filter { ["get", "post", "put", "patch", "delete"].contains($0) }.map { ($0.uppercased(), path) }
        }
    }

    func responseSchema(method: String, path: String, status: Int) throws -> [String: Any] {
        let paths = try #require(root["paths"] as? [String: [String: Any]])
        let operation = try #require(paths[path]?[method.lowercased()] as? [String: Any], "\(method) \(path) documented")
        let responses = try #require(operation["responses"] as? [String: Any])
        var response = try #require(responses[String(status)] as? [String: Any], "\(method) \(path) documents \(status)")
        response = resolve(response)
        let content = try #require(response["content"] as? [String: Any])
        let json = try #require(content["application/json"] as? [String: Any])
        return try #require(json["schema"] as? [String: Any])
    }

    func resolve(_ object: [String: Any]) -> [String: Any] {
        guard let reference = object["$ref"] as? String, reference.hasPrefix("#/") else { return object }
        var node: Any = root
        for part in reference.dropFirst(2).split(separator: "/") {
            node = (node as? [String: Any])?[String(part)] ?? [:]
        }
        return resolve(node as? [String: Any] ?? [:])
    }

    /// What is wrong with `value` for `schema`, as paths and reasons; empty when it conforms.
    func validate(_ value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        let schema = resolve(schema)
        var problems: [String] = []
        let types: [String] =
            (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] } ?? []
        if !types.isEmpty && !types.contains(where: { Self.matches(value, type: $0) }) {
            return ["\(path): \(Swift.type(of: value)) is not \(types)"]
        }
        if let allowed = schema["enum"] as? [String], let text = value as? String, !allowed.contains(text) {
            problems.append("\(path): '\(text)' not in \(allowed)")
        }
        if let object = value as? [String: Any] {
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                problems.append("\(path).\(key): required but missing")
            }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for (key, item) in object {
                guard let property = properties[key] as? [String: Any] else {
                    problems.append("\(path).\(key): not documented")
                    continue
                }
                problems += validate(item, against: property, at: "\(path).\(key)")
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { problems += validate(item, against: items, at: "\(path)[\(index)]") }
        }
        return problems
    }

    /// JSONSerialization gives booleans as NSNumbers of type "c".
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    static func matches(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "string": return value is String
        case "boolean": return (value as? NSNumber).map(isBoolean) ?? false
        case "integer":
            return (value as? NSNumber).map { !isBoolean($0) && $0.doubleValue.rounded() == $0.doubleValue } ?? false
        case "number": return (value as? NSNumber).map { !isBoolean($0) } ?? false
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        default: return false
        }
    }
}
