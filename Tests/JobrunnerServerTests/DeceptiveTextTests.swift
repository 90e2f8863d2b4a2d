import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JobrunnerCore
@testable import JobrunnerServer
import JobrunnerStore
import JobrunnerStoreSQLite
import JobrunnerTestSupport
import Testing

/// Bidi, zero-width and control characters in a script's name and output are shown written
/// out on the dashboard and in the API's error texts, as in the committed log: a name like
/// `jobs/fix-\u{202E}hs.exe` cannot pass for another file, nor output hide a line.
@Suite("Deceptive characters are shown, not obeyed")
struct DeceptiveTextTests {
    static let override = "\u{202E}"
    static let zeroWidth = "\u{200B}"

    @Test
    func theDashboardWritesThemOutInNamesAndOutput() async throws {
        let harness = try OperatorHarness()
        let id = try await harness.record(1, prefix: "fix-\(Self.override)hs.exe")[0]
        _ = try await harness.store.runToSuccessForTests(.process)
        let execute = try #require(try await harness.store.claimNext(owner: "w", kinds: [.execute], leaseDuration: .seconds(60)))
        let run = try await harness.store.startExecution(lease: execute.lease)
        try await harness.store.appendOutput(
            execution: run, stdout: Array("pass\(Self.zeroWidth)word\n\u{1B}[2Khidden\tcolumn\n".utf8), stderr: [])
        try await harness.app().test(.router) { client in
            let browser = try await OperatorHarness.signIn(client)
            for path in ["/", "/pipelines/\(id.rawValue)"] {
                let page = String(buffer: try await client.execute(uri: path, method: .get, headers: browser.headers).body)
                #expect(page.contains("fix-\\u{202E}hs.exe"), "\(path) names the script with the override written out")
                #expect(!page.contains(Self.override) && !page.contains(Self.zeroWidth) && !page.contains("\u{1B}"), "\(path)")
            }
            let page = String(buffer: try await client.execute(uri: "/pipelines/\(id.rawValue)", method: .get, headers: browser.headers).body)
            #expect(page.contains("pass\\u{200B}word\n\\u{1B}[2Khidden\tcolumn"), "output keeps its lines and tabs")
        }
        var state = LiveEvents.StreamState()
        let live = state.outputEvents(try #require(try await harness.store.executions(for: id).first)).joined()
        #expect(live.contains("pass\\\\u{200B}word") && !live.contains(Self.zeroWidth), "the live stream too: \(live)")
    }

    @Test
    func theAPIsErrorTextsWriteThemOut() async throws {
        let harness = try OperatorHarness()
        try await harness.app().test(.router) { client in
            let response = try await client.execute(
                uri: "/api/v1/dry-runs?a%E2%80%AEb%E2%80%8B=1", method: .get, headers: OperatorHarness.bearer(OperatorHarness.aliceToken))
            #expect(response.status == .badRequest)
            let error = try #require(try OperatorHarness.json(response)["error"] as? String)
            #expect(error.contains("a\\u{202E}b\\u{200B}"), "\(error)")
            #expect(!error.contains(Self.override) && !error.contains(Self.zeroWidth))
        }
    }
}
