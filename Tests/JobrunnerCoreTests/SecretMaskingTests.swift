import Foundation
@testable import JobrunnerCore
import Testing

/// Masking that holds: a secret is masked however it is printed — raw, base64 or base64url at any
/// alignment, hex, percent-encoded — without corrupting the log's format, with a bounded buffer.
@Suite("Secret masking")
struct SecretMaskingTests {
    static let token = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"

    /// The characters of `encoded` (the base64 of `payload`) that depend only on the bytes of
    /// `secret` inside it: what must not survive masking.
    static func secretOnlySpan(_ payload: [UInt8], secret: [UInt8], encoded: String) -> String {
        let start = payload.indices.first { payload[$0...].starts(with: secret) }!
        let chars = Array(encoded)
        let first = (8 * start + 5) / 6
        let last = 8 * (start + secret.count) / 6
        return String(chars[first..<last])
    }

    @Test(arguments: 0..<6)
    func theServiceEnvironmentPipedThroughBase64IsMasked(prefix: Int) {
        // What the script did: `tr '\0' '\n' < /proc/$PPID/environ | grep ^JOBRUNNER_ | base64 -w0`.
        let payload = Array((String(repeating: "P", count: prefix) + "JOBRUNNER_GITHUB_TOKEN=\(Self.token)\nJOBRUNNER_PORT=8080\n").utf8)
        let masker = SecretMasker(values: [Self.token])
        for url in [false, true] {
            var encoded = Data(payload).base64EncodedString()
            if url { encoded = encoded.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") }
            let span = Self.secretOnlySpan(payload, secret: Array(Self.token.utf8), encoded: encoded)
            #expect(encoded.contains(span))
            let masked = masker.mask(encoded)
            #expect(!masked.contains(span), "prefix \(prefix), url alphabet \(url): \(masked)")
            #expect(masked.contains("***"))
        }
    }

    @Test
    func hexAndPercentEncodedFormsAreMasked() {
        let secret = "p@ss/w0rd+key=42"
        let masker = SecretMasker(values: [secret])
        let hex = Array(secret.utf8).map { String(format: "%02x", $0) }.joined()
        #expect(masker.mask("dump: \(hex) end") == "dump: *** end")
        #expect(masker.mask("DUMP: \(hex.uppercased()) END") == "DUMP: *** END")
        let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        #expect(masker.mask("https://x.example/?p=\(encoded)&q=1") == "https://x.example/?p=***&q=1")
        #expect(masker.mask("?p=\(encoded.lowercased())") == "?p=***")
        #expect(masker.mask("raw \(secret) raw") == "raw *** raw")
        // Ordinary text does not match a short encoded fragment.
        #expect(SecretMasker(values: ["abc"]).mask("YWJj is base64 of abc") == "YWJj is base64 of ***")
    }

    @Test
    func liveOutputIsHeldBackOnlyWhereASecretCouldBeginSoAPausedScriptShowsItsLastLine() {
        var stream = StreamMasker(SecretMasker(values: [Self.token]))
        #expect(stream.feed(Array("step 1 done\n".utf8)) == Array("step 1 done\n".utf8), "nothing could start a secret here")
        let start = String(Self.token.prefix(5))
        #expect(stream.feed(Array("next: \(start)".utf8)) == Array("next: ".utf8), "the possible start of the token waits")
        #expect(stream.feed(Array(Self.token.dropFirst(5).utf8) + Array("!\n".utf8)) == Array("***!\n".utf8))
    }

    @Test
    func theStreamingMaskerHoldsBackAtMostTheLongestFormAndMissesNothing() {
        let masker = SecretMasker(values: [Self.token])
        var stream = StreamMasker(masker)
        var emitted: [UInt8] = []
        // A long run of the mask character once kept everything pending.
        for _ in 0..<200 {
            emitted += stream.feed(Array(String(repeating: "*", count: 5000).utf8))
            #expect(stream.heldBack < 200)
        }
        let text = "head " + Self.token + " tail " + Data(Self.token.utf8).base64EncodedString() + " end"
        for byte in text.utf8 { emitted += stream.feed([byte]) }
        emitted += stream.finish()
        #expect(emitted.count == 1_000_000 + masker.mask(text).utf8.count)
        // Streamed byte by byte, it masks exactly what masking the whole text does; of the base64
        // form only the padding group, which carries a few bits, is left.
        #expect(String(decoding: emitted.suffix(masker.mask(text).utf8.count), as: UTF8.self) == masker.mask(text))
        #expect(masker.mask(text).hasPrefix("head *** tail ***"))
    }

    @Test
    func aSecretThatIsAWordOfTheFormatDoesNotCorruptTheLog() {
        let execution = ExecutionRecord(
            id: 1, pipelineID: PipelineID(1), attempt: 1, startedAt: Date(timeIntervalSince1970: 0),
            finishedAt: Date(timeIntervalSince1970: 1), outcome: .succeeded, exitCode: 0, signal: nil, timedOut: false,
            stdout: Array("the flag is false\n".utf8), stderr: [], stdoutBytes: 18, stderrBytes: 0, stdoutTruncated: false,
            stderrTruncated: false)
        let artifact = Artifact(
            toolchain: "bash", toolchainVersion: "5.2", fileName: "x.sh", runCommand: ["bash", "{artifact}"],
            content: Array("echo false\n".utf8), digest: "d", sourceDigest: "s", buildDuration: .zero, isText: true,
            source: Array("echo false\n".utf8))
        let log = ExecutionLog(scriptPath: "jobs/x.sh", artifact: artifact, source: artifact.source, execution: execution)
            .render(masking: SecretMasker(values: ["false", "null"]))
        #expect(log.contains("timed_out: false\n"), "the format's own words stay")
        #expect(log.contains("signal: null\n"))
        #expect(log.contains("the flag is ***"), "the value is masked where the script printed it")
        #expect(!log.contains("echo false"))
    }
}

/// Line endings from Windows editors and tools: CRLF is one `Character` in Swift.
@Suite("CRLF line endings")
struct LineEndingTests {
    @Test
    func directivesAndTheBotTrailerAreReadWithCRLFEndings() throws {
        let script = "#!/usr/bin/env bash\r\n# jobrunner: timeout=2h\r\necho hi\r\n"
        #expect(try ScriptDirectives.parse(script).timeout == .seconds(7200))
        #expect(BotCommitMarker.isBotCommit(message: "jobrunner: ran jobs/x.sh\r\n\r\nJobrunner-Cleanup: pipeline 3\r\n"))
        #expect(!BotCommitMarker.isBotCommit(message: "fix\r\n\r\nnot a trailer\r\n"))
    }
}

@Suite("Script names at intake")
struct ScriptNameLimitTests {
    @Test
    func aNameTooLongForItsLogFileIsRefusedAtIntake() {
        let detector = ScriptDetector(jobsDirectory: "jobs")
        let longest = "jobs/" + String(repeating: "a", count: ScriptDetector.maximumNameLength - 3) + ".sh"
        let tooLong = "jobs/" + String(repeating: "a", count: ScriptDetector.maximumNameLength - 2) + ".sh"
        let result = detector.detect([ScriptDetector.Commit(id: "c", message: "m", added: [longest, tooLong])])
        #expect(result.scripts.map(\.path) == [longest])
        #expect(result.skipped.map(\.path) == [tooLong])
        #expect(result.skipped.first?.reason.contains("too long") == true)
    }
}

/// Names from a repository cannot make the committed log read differently from what it records.
@Suite("Deceptive characters in logs")
struct DeceptiveCharacterTests {
    static let name = "jobs/fix\u{202E}hs.exe\u{2028}\u{FEFF}\u{85}`x`.sh"

    @Test
    func theYAMLValueEscapesC1LineSeparatorsBOMAndBidiControls() {
        let quoted = ExecutionLog.quote(Self.name)
        #expect(quoted == "\"jobs/fix\\u202Ehs.exe\\u2028\\uFEFF\\x85`x`.sh\"")
        #expect(!quoted.unicodeScalars.contains { MarkdownText.isDeceptive($0) })
    }

    @Test
    func aBacktickInAScriptNameDoesNotBreakTheCleanupNoteOrItsHeading() {
        let request = CleanupRequest(
            repository: RepositoryName(rawValue: "acme/ops")!, branch: "main", scriptPath: "jobs/a`b``c.sh", sourceCommit: "abc",
            logPath: "jobrunner-logs/x.md", logContent: "---\n---\n", message: "m", authorName: "bot", authorEmail: "bot@x")
        let note = request.logContent(after: .vanished)
        #expect(note.contains("```jobs/a`b``c.sh``` was no longer on `main`"), "\(note)")
        #expect(MarkdownText.codeSpan("`edge`") == "`` `edge` ``")
        #expect(MarkdownText.visible(Self.name) == "jobs/fix\\u{202E}hs.exe\\u{2028}\\u{FEFF}\\u{85}`x`.sh")
    }
}
