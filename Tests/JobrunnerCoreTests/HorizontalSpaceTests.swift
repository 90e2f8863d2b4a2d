import Foundation
import JobrunnerCore
import JobrunnerTestSupport
import Testing

/// Intake trims commit titles and signature headers without Foundation's NSString trip; what it
/// keeps must be what `trimmingCharacters(in: .whitespaces)` kept, and the pull request found in
/// a commit message what the Foundation version found.
@Suite("Trimming horizontal space")
struct HorizontalSpaceTests {
    static let alphabet: [String] = [
        " ", "\t", "\u{A0}", "\u{2003}", "\u{3000}", "\u{202F}", "\u{200B}", "\r", "\u{2028}", "\u{85}", "\u{B}",
        "a", "(", ")", "#", "1", "9", "0", "é", "e\u{301}", "😀", "(#", "٣",
    ]

    @Test
    func trimsWhatFoundationTrims() {
        var random = SeededRandom(seed: 7)
        for _ in 0..<5_000 {
            let text = (0..<random.next(upTo: 8)).map { _ in Self.alphabet[random.next(upTo: Self.alphabet.count)] }.joined()
            #expect(String(text.trimmingHorizontalSpace()) == text.trimmingCharacters(in: .whitespaces), "\(Array(text.unicodeScalars))")
        }
    }

    @Test
    func findsThePullRequestFoundationFound() {
        var random = SeededRandom(seed: 11)
        var samples = ["Backfill (#12)", " Title (#7) \t", "Odd (#)", "x (#12a)", "(#3)", "Merge pull request #5 from a/b", "T (#1) (#2)", "T (# 2)"]
        for _ in 0..<5_000 {
            samples.append((0..<random.next(upTo: 9)).map { _ in Self.alphabet[random.next(upTo: Self.alphabet.count)] }.joined())
        }
        for message in samples {
            #expect(PullRequestReference.number(inCommitMessage: message) == Self.foundationNumber(message), "\(message.debugDescription)")
        }
    }

    /// The implementation before the NSString-free one, kept as the reference.
    static func foundationNumber(_ message: String) -> Int? {
        let firstLine = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let mergePrefix = "Merge pull request #"
        if firstLine.hasPrefix(mergePrefix) {
            return Int(firstLine.dropFirst(mergePrefix.count).prefix { $0.isASCII && $0.isNumber })
        }
        let trimmed = firstLine.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(")"), let open = trimmed.range(of: "(#", options: .backwards) else { return nil }
        let digits = trimmed[open.upperBound..<trimmed.index(before: trimmed.endIndex)]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }
}
