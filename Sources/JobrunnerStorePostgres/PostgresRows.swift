import JobrunnerStore
import Foundation
import NIOCore
import PostgresNIO

/// A PostgreSQL row read by column name for the shared decoders (`StoredRecords`).
extension PostgresRandomAccessRow: StoredRow {
    private func cell(_ column: String) throws -> PostgresCell {
        guard contains(column) else { throw StoredRowError(description: "column \(column) is missing") }
        return self[column]
    }

    private func required<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T where T._DecodableType == T {
        guard let value = try cell(column).decode(T?.self) else {
            throw StoredRowError(description: "column \(column) is NULL")
        }
        return value
    }

    package func string(_ column: String) throws -> String { try required(column, as: String.self) }
    package func optionalString(_ column: String) throws -> String? { try cell(column).decode(String?.self) }
    package func int64(_ column: String) throws -> Int64 { try required(column, as: Int64.self) }
    package func optionalInt64(_ column: String) throws -> Int64? { try cell(column).decode(Int64?.self) }
    package func double(_ column: String) throws -> Double { try required(column, as: Double.self) }
    package func optionalDouble(_ column: String) throws -> Double? { try cell(column).decode(Double?.self) }
    package func bool(_ column: String) throws -> Bool { try required(column, as: Bool.self) }
    package func bytes(_ column: String) throws -> [UInt8] {
        Array(try required(column, as: ByteBuffer.self).readableBytesView)
    }
}

extension PostgresConnection {
    /// Every row of `query`, read into memory (the store's results are small or bounded).
    func rows(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        try await self.query(query, logger: logger).collect().map { $0.makeRandomAccess() }
    }

    /// The first row of `query`, if any.
    func row(_ query: PostgresQuery, logger: Logger) async throws -> PostgresRandomAccessRow? {
        try await rows(query, logger: logger).first
    }

    /// Runs a statement whose rows do not matter.
    func run(_ query: PostgresQuery, logger: Logger) async throws {
        _ = try await self.query(query, logger: logger).collect()
    }
}
