/// A pipeline's identity. Also its arrival order: ids grow in the order scripts were pushed
/// (commit order within a push, then path), which is the order EXECUTE runs them in.
public struct PipelineID: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible
{
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A stage's identity (one row per pipeline and kind).
public struct StageID: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible
{
    public let rawValue: Int64
    public init(rawValue: Int64) { self.rawValue = rawValue }
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { String(rawValue) }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// GitHub's `X-GitHub-Delivery` GUID; the key that makes redeliveries harmless.
public struct DeliveryID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }
}

/// `owner/name`, compared case-insensitively as GitHub does, stored lower-cased.
public struct RepositoryName: RawRepresentable, Hashable, Comparable, Sendable, Codable,
    CustomStringConvertible
{
    public let rawValue: String

    /// Accepts `owner/name` with GitHub's allowed characters; anything else is `nil`.
    public init?(rawValue: String) {
        let parts = rawValue.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2,
            parts.allSatisfy({ part in
                !part.isEmpty && part != "." && part != ".."
                    && part.unicodeScalars.allSatisfy { scalar in
                        scalar.isASCII
                            && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                                || scalar == "-" || scalar == "_" || scalar == ".")
                    }
            })
        else { return nil }
        self.rawValue = rawValue.lowercased()
    }

    public var owner: String { String(rawValue.split(separator: "/")[0]) }
    public var name: String { String(rawValue.split(separator: "/")[1]) }
    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
