/// Text from a repository (script names, branches) placed in the committed Markdown and YAML:
/// characters that are invisible or reorder what a reader sees — C0/C1 controls, line and
/// paragraph separators, byte order marks, zero-width and bidirectional controls — are shown as
/// `\u{XXXX}`, so a log cannot be made to read differently from what it records.
public enum MarkdownText {
    public static func isDeceptive(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true  // C0 and C1 controls, DEL
        case 0x061C, 0x200B...0x200F, 0x2028...0x202E, 0x2060...0x2069, 0xFEFF: true
        default: false
        }
    }

    /// `text` with every deceptive character written out. `keepingLayout` keeps line feeds and
    /// tabs as they are, for text shown as lines (a script's output on the dashboard).
    public static func visible(_ text: String, keepingLayout: Bool = false) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if isDeceptive(scalar), !(keepingLayout && (scalar == "\n" || scalar == "\t")) {
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// A CommonMark code span that holds `text` whole, backticks included: its fence is one
    /// backtick longer than the longest run inside, padded when the text starts or ends with one.
    public static func codeSpan(_ text: String) -> String {
        let shown = visible(text)
        var longest = 0
        var run = 0
        for character in shown {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let padded = shown.hasPrefix("`") || shown.hasSuffix("`") ? " \(shown) " : shown
        return fence + padded + fence
    }

    /// A code fence longer than any run of backticks in the content, so nothing can close it.
    public static func fence(_ content: String, language: String = "") -> String {
        var longest = 0
        var current = 0
        for character in content {
            current = character == "`" ? current + 1 : 0
            longest = max(longest, current)
        }
        let marker = String(repeating: "`", count: max(3, longest + 1))
        let body = content.hasSuffix("\n") ? content : content + "\n"
        return "\(marker)\(language)\n\(body)\(marker)\n\n"
    }
}
