import Foundation
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
import JobrunnerGitHub
import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// A request whose body is still arriving `bodyDeadline` after its head is answered 408 and its
/// connection closed, on a real socket through the real HTTP server; a body that arrives in time
/// is unaffected, and so is the connection after it.
@Suite("Request body deadline")
struct RequestBodyDeadlineTests {
    static let deadline = Duration.milliseconds(300)

    static func app(_ harness: WebhookIntakeTests.Harness, deadline: Duration = deadline) -> some ApplicationProtocol {
        var context = ApplicationContext(settings: harness.settings, store: harness.store, logger: quietLogger)
        context.bodyDeadline = deadline
        return buildApplication(context)
    }

    /// A signed push request's head and its body, as bytes on the wire.
    static func request(_ body: Data, delivery: String, signed: Bool = true) -> (head: [UInt8], body: [UInt8]) {
        let signature = signed ? "X-Hub-Signature-256: \(WebhookVerifier.signature(for: body, secret: WebhookIntakeTests.secret))\r\n" : ""
        let head = "POST /webhooks/github HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            + "X-GitHub-Event: push\r\nX-GitHub-Delivery: \(delivery)\r\n\(signature)Content-Length: \(body.count)\r\n\r\n"
        return (Array(head.utf8), Array(body))
    }

    @Test
    func aBodyStillArrivingAtTheDeadlineIs408AndTheConnectionCloses() async throws {
        let harness = try WebhookIntakeTests.Harness()
        let body = try WebhookIntakeTests.fixture("push-pr-merge")
        let (head, bytes) = Self.request(body, delivery: "slow-1")
        try await Self.app(harness).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            try connection.send(head + bytes.prefix(100))
            // Nothing more is sent; the server answers at the deadline and closes.
            let answer = try await connection.readToEnd()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
            #expect(answer.lowercased().contains("connection: close"))
            #expect(answer.contains("the body did not arrive within 300 ms"))
            #expect(answer.components(separatedBy: "HTTP/1.1 ").count == 2, "one answer only: \(answer)")
        }
        #expect(try await harness.store.delivery(DeliveryID("slow-1")) == nil, "nothing recorded")
        #expect(try await harness.pipelines().isEmpty)
    }

    @Test
    func aBodyThatArrivesInTimeIsAcceptedAndItsConnectionOutlivesTheDeadline() async throws {
        let harness = try WebhookIntakeTests.Harness()
        let body = try WebhookIntakeTests.fixture("push-pr-merge")
        let first = Self.request(body, delivery: "in-time-1")
        let second = Self.request(body, delivery: "in-time-2")
        // A deadline no busy machine misses between two sends, and then waited out for sure.
        let deadline = Duration.seconds(3)
        try await Self.app(harness, deadline: deadline).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            try connection.send(first.head + first.body.prefix(100))
            try connection.send(Array(first.body.dropFirst(100)))
            let accepted = try await connection.readAnswer()
            #expect(accepted.hasPrefix("HTTP/1.1 202"), "\(accepted.prefix(200))")
            // Past the first request's deadline: its timer was disarmed with its body, so the
            // same connection still takes the next delivery.
            try await Task.sleep(for: deadline + .milliseconds(500))
            try connection.send(second.head + second.body)
            let next = try await connection.readAnswer()
            #expect(next.hasPrefix("HTTP/1.1 202"), "\(next.prefix(200))")
        }
        #expect(try await harness.store.delivery(DeliveryID("in-time-1")) != nil)
        #expect(try await harness.store.delivery(DeliveryID("in-time-2")) != nil)
    }

    @Test
    func anUnsignedUploadIsRefusedAtOnceAndItsConnectionClosedAtTheDeadline() async throws {
        let harness = try WebhookIntakeTests.Harness()
        let body = try WebhookIntakeTests.fixture("push-pr-merge")
        let (head, bytes) = Self.request(body, delivery: "unsigned-1", signed: false)
        try await Self.app(harness).test(.live) { client in
            let connection = try RawConnection(port: client.port!)
            try connection.send(head + bytes.prefix(10))
            let refused = try await connection.readAnswer()
            #expect(refused.hasPrefix("HTTP/1.1 401"), "\(refused.prefix(200))")
            // The answer has begun, so at the deadline the connection only closes: no second answer.
            let rest = try await connection.readToEnd()
            #expect(!rest.contains("HTTP/1.1 "), "\(rest)")
        }
        #expect(try await harness.store.delivery(DeliveryID("unsigned-1")) == nil)
    }
}
