import Foundation
import GRDB
import JobrunnerCore

/// A GRDB row read by column name for the shared decoders (`StoredRecords`).
extension Row: StoredRow {
    private func required<T: DatabaseValueConvertible>(_ column: String) throws -> T {
        guard let value: T = self[column] else {
            throw StoredRowError(description: "column \(column) is NULL or missing")
        }
        return value
    }

    func string(_ column: String) throws -> String { try required(column) }
    func optionalString(_ column: String) throws -> String? { self[column] }
    func int64(_ column: String) throws -> Int64 { try required(column) }
    func optionalInt64(_ column: String) throws -> Int64? { self[column] }
    func double(_ column: String) throws -> Double { try required(column) }
    func optionalDouble(_ column: String) throws -> Double? { self[column] }
    func bool(_ column: String) throws -> Bool { try required(column) }
    func bytes(_ column: String) throws -> [UInt8] { [UInt8](try required(column) as Data) }
}

extension Date {
    /// How dates are stored: seconds since 1970 (REAL on SQLite, DOUBLE PRECISION on PostgreSQL).
    var storedValue: Double { timeIntervalSince1970 }
}

extension Database {
    /// Executes one statement prepared once per connection and kept (GRDB's statement cache):
    /// the store runs the same few statements thousands of times, and preparing each again —
    /// SQLite's parser and GRDB's authorizer — was a sixth of a claim's time. Only for SQL with a
    /// bounded number of spellings (no lists of values built into the text).
    func executeCached(_ sql: String, _ arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
