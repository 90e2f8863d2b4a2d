import Foundation

/// How the dashboard writes times, durations and sizes: UTC, short, unambiguous.
enum DashboardFormat {
    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        let style = Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!).dateSeparator(.dash)
            .timeSeparator(.colon).dateTimeSeparator(.space)
        return date.formatted(style).replacingOccurrences(of: "Z", with: " UTC")
    }

    static func duration(seconds: Double?) -> String {
        guard let seconds else { return "" }
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 3600 { return "\(whole / 60)m \(whole % 60)s" }
        return "\(whole / 3600)h \(whole % 3600 / 60)m"
    }

    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / 1024 / 1024)
    }

    /// The longest prefix of `bytes` that ends on a whole UTF-8 character, so live output never
    /// shows a character cut in two (the rest follows with the next chunk).
    static func completeUTF8Prefix(_ bytes: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var index = bytes.endIndex
        var continuationBytes = 0
        while index > bytes.startIndex, continuationBytes < 4 {
            let byte = bytes[index - 1]
            if byte & 0xC0 == 0x80 {
                continuationBytes += 1
                index -= 1
                continue
            }
            let length = byte < 0x80 ? 1 : byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return continuationBytes + 1 >= length ? bytes : bytes[bytes.startIndex..<(index - 1)]
        }
        return bytes
    }
}
