import ArgumentParser
import Foundation
import JobrunnerCore

/// Latency samples in milliseconds, summarised the way the report shows them.
struct LatencySummary: Encodable {
    var count: Int
    var p50: Double
    var p99: Double
    var mean: Double
    var max: Double

    init(milliseconds samples: [Double]) {
        let sorted = samples.sorted()
        count = sorted.count
        p50 = Self.percentile(sorted, 50)
        p99 = Self.percentile(sorted, 99)
        mean = sorted.isEmpty ? 0 : sorted.reduce(0, +) / Double(sorted.count)
        max = sorted.last ?? 0
    }

    /// Nearest-rank percentile of already sorted samples.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank - 1))]
    }
}

/// Monotonic elapsed time, for rates and latencies.
struct Stopwatch {
    private let start = ContinuousClock.now
    var seconds: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
    var milliseconds: Double { seconds * 1000 }
}

/// Prints `value` as one line of JSON on stdout.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.sortedKeys]
    FileHandle.standardOutput.write(try encoder.encode(value) + Data("\n".utf8))
}

/// The `--database` a benchmark was pointed at, read as the service reads
/// `JOBRUNNER_DATABASE_URL` (a SQLite path or a `postgres://` URL).
func databaseLocation(_ text: String) throws -> DatabaseLocation {
    guard let location = DatabaseLocation(parsing: text) else {
        throw ValidationError("--database \(text) is neither a SQLite path nor a postgres:// URL")
    }
    return location
}

extension DatabaseLocation {
    /// The driver's name in the JSON.
    var driverName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgres"
        }
    }
}
