import Foundation
import GRDB
import JobrunnerCore
import JobrunnerStore

/// A GRDB row read by column name for the shared decoders (`StoredRecords`).
extension Row: StoredRow {
    private func required<T: DatabaseValueConvertible>(_ column: String) throws -> T {
        guard let value: T = self[column] else {
            throw StoredRowError(description: "column \(column) is NULL or missing")
        }
        return value
    }

    package func string(_ column: String) throws -> String { try required(column) }
    package func optionalString(_ column: String) throws -> String? { self[column] }
    package func int64(_ column: String) throws -> Int64 { try required(column) }
    package func optionalInt64(_ column: String) throws -> Int64? { self[column] }
    package func double(_ column: String) throws -> Double { try required(column) }
    package func optionalDouble(_ column: String) throws -> Double? { self[column] }
    package func bool(_ column: String) throws -> Bool { try required(column) }
    package func bytes(_ column: String) throws -> [UInt8] { [UInt8](try required(column) as Data) }
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
