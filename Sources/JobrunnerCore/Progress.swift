import Foundation

/// How far a running script is, as it reports it with a line on stdout — in the spirit of GitHub
/// Actions' workflow commands, usable from any language without a library:
///
///     ::progress 1200/50000 rows
///     ::progress 1200 rows          (no total known)
///     ::progress 42%
///
/// The line stays in the output (it is part of what ran). The rate is measured from the first
/// report to the latest.
public struct ProgressReport: Sendable, Equatable, Codable {
    public var done: Double
    public var total: Double?
    public var unit: String?
    /// The first report's count and time, for the rate.
    public var firstDone: Double
    public var firstAt: Date
    /// When the latest report arrived.
    public var at: Date

    public init(done: Double, total: Double?, unit: String?, firstDone: Double, firstAt: Date, at: Date) {
        self.done = done
        self.total = total
        self.unit = unit
        self.firstDone = firstDone
        self.firstAt = firstAt
        self.at = at
    }

    /// Units per second since the first report; nil until two reports lie apart in time.
    public var ratePerSecond: Double? {
        let seconds = at.timeIntervalSince(firstAt)
        guard seconds > 0 else { return nil }
        return max(0, (done - firstDone) / seconds)
    }

    /// Done out of the total, 0…1, when the total is known.
    public var fraction: Double? {
        guard let total, total > 0 else { return nil }
        return min(max(done / total, 0), 1)
    }

    /// Seconds left at the current rate, when a total and a rate are known.
    public var secondsLeft: Double? {
        guard let total, let rate = ratePerSecond, rate > 0 else { return nil }
        return max(0, (total - done) / rate)
    }

    /// The report after `line` arrived at `time`: the first report, or `report` updated — what
    /// EXECUTE and dry runs both keep while a script prints.
    public static func next(_ report: ProgressReport?, _ line: ProgressLine, at time: Date) -> ProgressReport {
        report?.updated(with: line, at: time)
            ?? ProgressReport(done: line.done, total: line.total, unit: line.unit, firstDone: line.done, firstAt: time, at: time)
    }

    /// The next report, from a parsed line that arrived at `time`.
    public func updated(with line: ProgressLine, at time: Date) -> ProgressReport {
        var next = self
        next.done = line.done
        next.total = line.total ?? total
        next.unit = line.unit ?? unit
        next.at = time
        return next
    }

    /// `1200/50000 rows`, as the log and the terminal show it.
    public var text: String {
        let number = { (value: Double) in value.rounded() == value ? String(Int64(value)) : String(format: "%.2f", value) }
        var text = number(done) + (total.map { "/" + number($0) } ?? "")
        if let unit { text += unit == "%" ? "%" : " " + unit }
        return text
    }
}

/// One `::progress` line.
public struct ProgressLine: Sendable, Equatable {
    public var done: Double
    public var total: Double?
    public var unit: String?

    public static let prefix = "::progress "

    /// Nil when the line is not a well-formed progress line (it is then just output).
    public init?(_ line: some StringProtocol) {
        var text = line.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.hasPrefix(Self.prefix) else { return nil }
        text = String(text.dropFirst(Self.prefix.count)).trimmingCharacters(in: .whitespaces)
        let parts = text.split(separator: " ", maxSplits: 1)
        guard let count = parts.first else { return nil }
        let rest = parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : nil
        if count.hasSuffix("%") {
            guard let percent = Double(count.dropLast()), percent.isFinite, percent >= 0 else { return nil }
            done = percent
            total = 100
            unit = "%"
            return
        }
        let numbers = count.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(numbers.count), let done = Double(numbers[0]), done.isFinite, done >= 0 else { return nil }
        self.done = done
        if numbers.count == 2 {
            guard let total = Double(numbers[1]), total.isFinite, total >= 0 else { return nil }
            self.total = total
        }
        unit = rest.map { String($0.prefix(40)) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Finds progress lines in stdout as it arrives (a line may straddle two chunks). Holds at most
/// one partial line of `maxLine` bytes: a longer line is no progress line and is dropped.
public struct ProgressScanner: Sendable {
    private var partial: [UInt8] = []
    private var overflowed = false
    public let maxLine: Int

    public init(maxLine: Int = 256) { self.maxLine = maxLine }

    /// The progress lines completed by `bytes`, in order.
    public mutating func feed(_ bytes: [UInt8]) -> [ProgressLine] {
        var lines: [ProgressLine] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n") {
                if !overflowed, let line = ProgressLine(String(decoding: partial, as: UTF8.self)) { lines.append(line) }
                partial.removeAll(keepingCapacity: true)
                overflowed = false
            } else if partial.count < maxLine {
                partial.append(byte)
            } else {
                overflowed = true
            }
        }
        return lines
    }
}

/// Progress in words: `1200/50000 rows (2%), 310 rows/s, about 2m 37s left`.
public enum ProgressText {
    public static func describe(_ report: ProgressReport) -> String {
        var text = report.text
        if let fraction = report.fraction, report.unit != "%" { text += String(format: " (%.0f%%)", fraction * 100) }
        if let rate = report.ratePerSecond {
            text += String(format: ", %.0f %@/s", rate, report.unit == "%" ? "%" : (report.unit ?? "units"))
        }
        if let left = report.secondsLeft { text += ", about " + duration(left) + " left" }
        return text
    }

    /// `2m 37s`, `1h 5m`, `42s`.
    public static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        if total >= 3600 { return "\(total / 3600)h \(total % 3600 / 60)m" }
        if total >= 60 { return "\(total / 60)m \(total % 60)s" }
        return "\(total)s"
    }
}
