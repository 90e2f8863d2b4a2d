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
        // "… (#123)": from the closing parenthesis back over the digits to the last "(#".
        let trimmed = Array(firstLine.trimmingHorizontalSpace().utf8)
        guard trimmed.last == UInt8(ascii: ")") else { return nil }
        var start = trimmed.count - 1
        while start > 0, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(trimmed[start - 1]) { start -= 1 }
        guard start < trimmed.count - 1, start >= 2, trimmed[start - 2] == UInt8(ascii: "("), trimmed[start - 1] == UInt8(ascii: "#")
        else { return nil }
        return Int(String(decoding: trimmed[start..<(trimmed.count - 1)], as: UTF8.self))
    }
}
