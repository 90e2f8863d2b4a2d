import Foundation
@testable import JobrunnerServer
import JobrunnerTestSupport
import Testing

/// Intake writes its answer by hand (it is on every delivery's path); GitHub's delivery log and
/// clients read it, so it must be what `JSONEncoder` with sorted keys writes, byte for byte.
@Suite("Intake answer JSON")
struct IntakeAnswerJSONTests {
    /// Text with everything a JSON string escapes or must not: quotes, backslashes, slashes,
    /// every control character, DEL, non-ASCII letters, emoji, line and paragraph separators.
    static let alphabet: [String] =
        ["a", "Z", "0", " ", "\"", "\\", "/", "é", "😀", "\u{7F}", "\u{2028}", "\u{2029}", "jobs/", ".sh", "ü", "\u{FEFF}"]
        + (0..<0x20).map { String(UnicodeScalar(UInt8($0))) }

    @Test
    func theHandWrittenAnswerIsWhatJSONEncoderWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var random = SeededRandom(seed: 21)
        func text() -> String {
            (0..<random.next(upTo: 12)).map { _ in Self.alphabet[random.next(upTo: Self.alphabet.count)] }.joined()
        }
        for round in 0..<500 {
            var answer = IntakeAnswer(delivery: text(), outcome: ["accepted", "ignored", "failed", "pong"][round % 4], reason: round % 3 == 0 ? nil : text())
            answer.message = text()
            answer.redelivery = round % 2 == 0
            answer.pipelines = (0..<random.next(upTo: 4)).map { index in
                IntakeAnswer.Pipeline(id: [1, 42, Int64.max, 9_007_199_254_740_993][index], path: text(), created: random.next(upTo: 2) == 0)
            }
            answer.skipped = (0..<random.next(upTo: 3)).map { _ in IntakeAnswer.Skipped(path: text(), reason: text()) }
            let expected = try encoder.encode(answer)
            let written = Data(answer.json())
            #expect(written == expected, "\(String(decoding: written, as: UTF8.self)) vs \(String(decoding: expected, as: UTF8.self))")
            if written != expected { return }
        }
    }
}
