import Foundation

/// Finds the pull request a merge commit came from, by GitHub's default merge messages:
/// "Merge pull request #123 from …" (merge) and "Title (#123)" (squash).
public enum PullRequestReference {
    public static func number(inCommitMessage message: String) -> Int? {
        let firstLine = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        let mergePrefix = "Merge pull request #"
        if firstLine.hasPrefix(mergePrefix) {
            let digits = firstLine.dropFirst(mergePrefix.count).prefix { $0.isASCII && $0.isNumber }
            return Int(digits)
        }
        let trimmed = firstLine.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasSuffix(")"), let open = trimmed.range(of: "(#", options: .backwards) else { return nil }
        let digits = trimmed[open.upperBound..<trimmed.index(before: trimmed.endIndex)]
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(digits)
    }
}
