import Foundation
import JobrunnerCore

/// One row read from either database, by column name. Both drivers store the same columns
/// (times as seconds since 1970, JSON as text), so one set of decoders (`StoredRecords`)
/// serves both and a record cannot decode differently by driver.
package protocol StoredRow {
    func string(_ column: String) throws -> String
    func optionalString(_ column: String) throws -> String?
    func int64(_ column: String) throws -> Int64
    func optionalInt64(_ column: String) throws -> Int64?
    func double(_ column: String) throws -> Double
    func optionalDouble(_ column: String) throws -> Double?
    func bool(_ column: String) throws -> Bool
    func bytes(_ column: String) throws -> [UInt8]
}

extension StoredRow {
    package func int(_ column: String) throws -> Int { Int(try int64(column)) }
    package func optionalInt(_ column: String) throws -> Int? { try optionalInt64(column).map { Int($0) } }
    package func optionalInt32(_ column: String) throws -> Int32? { try optionalInt64(column).map { Int32(truncatingIfNeeded: $0) } }
    package func date(_ column: String) throws -> Date { Date(timeIntervalSince1970: try double(column)) }
    package func optionalDate(_ column: String) throws -> Date? { try optionalDouble(column).map(Date.init(timeIntervalSince1970:)) }
}

/// A stored value this build cannot read: a corrupt row or one written by another version.
package struct StoredRowError: Error, CustomStringConvertible {
    package var description: String

    package init(description: String) { self.description = description }
}

extension Date {
    /// How dates are stored: seconds since 1970 (REAL on SQLite, DOUBLE PRECISION on PostgreSQL).
    package var storedValue: Double { timeIntervalSince1970 }
}
