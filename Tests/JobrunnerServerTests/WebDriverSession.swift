import AsyncHTTPClient
import Foundation
import JobrunnerTestSupport
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

/// Headless Chromium driven over the W3C WebDriver protocol by Debian's `chromedriver`
/// (packages `chromium` and `chromium-driver`, installed by the test command). AsyncHTTPClient
/// talks to it: chromedriver writes headers without a space after the colon, which
/// Foundation's URLSession on Linux refuses.
final class WebDriverSession: Sendable {
    let driver: Process
    let base: URL
    let session: String

    struct Failure: Error, CustomStringConvertible {
        var description: String

        /// The page reloaded under the command: chromedriver says "stale element", or, when the
        /// reload lands mid-command, "does not belong to the document".
        var isReplacedElement: Bool {
            description.contains("stale element") || description.contains("does not belong to the document")
        }
    }

    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Starts chromedriver on a free port and opens a headless Chromium session.
    static func start() async throws -> WebDriverSession {
        let port = TestPorts.free()
        let driver = Process()
        driver.executableURL = URL(fileURLWithPath: "/usr/bin/chromedriver")
        driver.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        let base = URL(string: "http://127.0.0.1:\(port)")!
        var ready = false
        var problem = "no answer"
        for _ in 0..<100 where !ready {
            do {
                let status = try await request(base, "GET", "/status")
                ready = (status["ready"] as? NSNumber)?.boolValue == true || (status["ready"] as? Bool) == true
                problem = "not ready: \(status)"
            } catch {
                problem = "\(error)"
            }
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        guard ready else {
            kill(driver.processIdentifier, SIGKILL)
            throw Failure(description: "chromedriver did not become ready on port \(port): \(problem)")
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": "/usr/bin/chromium",
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--window-size=1280,1600", "--user-data-dir=" + NSTemporaryDirectory() + "chromium-" + UUID().uuidString,
                        ],
                    ],
                ]
            ]
        ]
        let created = try await request(base, "POST", "/session", capabilities)
        guard let session = created["sessionId"] as? String else {
            kill(driver.processIdentifier, SIGKILL)
            throw Failure(description: "no WebDriver session: \(created)")
        }
        return WebDriverSession(driver: driver, base: base, session: session)
    }

    private init(driver: Process, base: URL, session: String) {
        self.driver = driver
        self.base = base
        self.session = session
    }

    func open(_ url: String) async throws { _ = try await command("POST", "/url", ["url": url]) }

    var currentURL: String {
        get async throws { try await command("GET", "/url") as? String ?? "" }
    }

    /// The element for a CSS selector, or nil.
    func element(_ selector: String) async throws -> String? {
        let found = try await command("POST", "/elements", ["using": "css selector", "value": selector]) as? [[String: Any]]
        return found?.first?[Self.elementKey] as? String
    }

    /// The element's text. The page may reload between finding the element and reading it
    /// (live updates reload it when the pipeline rests): then it is looked up again.
    func text(_ selector: String) async throws -> String? {
        for attempt in 1...10 {
            guard let element = try await element(selector) else { return nil }
            do {
                return try await command("GET", "/element/\(element)/text") as? String
            } catch let failure as Failure where failure.isReplacedElement && attempt < 10 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return nil
    }

    /// A DOM property of the element (`value`, `max`), or nil.
    /// Like `text`, found again when the page reloaded under the command (the live view reloads
    /// itself when the pipeline's stages change).
    func property(_ selector: String, _ name: String) async throws -> Any? {
        for attempt in 1...10 {
            guard let element = try await element(selector) else { return nil }
            do {
                return try await command("GET", "/element/\(element)/property/\(name)")
            } catch let failure as Failure where failure.isReplacedElement && attempt < 10 {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        return nil
    }

    func type(_ selector: String, _ text: String) async throws {
        guard let element = try await element(selector) else { throw Failure(description: "no element \(selector)") }
        _ = try await command("POST", "/element/\(element)/value", ["text": text])
    }

    func click(_ selector: String) async throws {
        guard let element = try await element(selector) else { throw Failure(description: "no element \(selector)") }
        _ = try await command("POST", "/element/\(element)/click", [:])
    }

    /// A PNG of the viewport.
    func screenshot() async throws -> Data {
        guard let base64 = try await command("GET", "/screenshot") as? String, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        return png
    }

    /// Closes the browser (the DELETE ends Chromium), then chromedriver: SIGTERM, SIGKILL if it
    /// lingers. Polls instead of `waitUntilExit`, which spins on Linux off the main thread.
    func quit() async {
        _ = try? await Self.request(base, "DELETE", "/session/\(session)")
        driver.terminate()
        for _ in 0..<40 where driver.isRunning { try? await Task.sleep(for: .milliseconds(50)) }
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
    }

    private func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await Self.request(base, method, "/session/\(session)" + path, body)["value"] ?? nil
    }

    @discardableResult
    private static func request(_ base: URL, _ method: String, _ path: String, _ body: [String: Any]? = nil) async throws
        -> [String: Any]
    {
        var request = HTTPClientRequest(url: base.absoluteString + path)
        request.method = .init(rawValue: method)
        if let body {
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
            request.headers.add(name: "Content-Type", value: "application/json")
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let data = Data(buffer: try await response.body.collect(upTo: 64 << 20))
        let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        if path == "/status" { return object["value"] as? [String: Any] ?? [:] }
        if let value = object["value"] as? [String: Any], let error = value["error"] as? String {
            throw Failure(description: "WebDriver \(method) \(path): \(error): \(value["message"] ?? "")")
        }
        return path == "/session" && method == "POST" ? (object["value"] as? [String: Any] ?? [:]) : object
    }
}
