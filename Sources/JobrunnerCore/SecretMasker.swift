/// Replaces the values of configured secrets with `***` in bytes that are stored or committed.
///
/// Output arrives in chunks, and a secret can straddle two of them; `StreamMasker` holds back
/// just enough of each chunk's end to catch that.
public struct SecretMasker: Sendable {
    public static let mask: [UInt8] = Array("***".utf8)
    /// Secret values, longest first so a secret containing another is masked whole.
    public let secrets: [[UInt8]]

    /// Values shorter than 3 bytes are not masked: they would mask ordinary text everywhere.
    public init(values: [String]) {
        secrets = Set(values.filter { $0.utf8.count >= 3 }).map { Array($0.utf8) }.sorted { $0.count > $1.count }
    }

    public var isEmpty: Bool { secrets.isEmpty }

    /// The secret values, to extend a masker with more.
    public var values: [String] { secrets.map { String(decoding: $0, as: UTF8.self) } }
    var longest: Int { secrets.first?.count ?? 0 }

    public func mask(_ bytes: [UInt8]) -> [UInt8] {
        guard !secrets.isEmpty, !bytes.isEmpty else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        outer: while index < bytes.count {
            for secret in secrets where bytes.count - index >= secret.count {
                if bytes[index] == secret[0] && bytes[index..<(index + secret.count)].elementsEqual(secret) {
                    output += Self.mask
                    index += secret.count
                    continue outer
                }
            }
            output.append(bytes[index])
            index += 1
        }
        return output
    }

    public func mask(_ text: String) -> String {
        String(decoding: mask(Array(text.utf8)), as: UTF8.self)
    }
}

/// Masks a stream chunk by chunk without missing secrets split across chunks.
public struct StreamMasker: Sendable {
    private let masker: SecretMasker
    private var pending: [UInt8] = []

    public init(_ masker: SecretMasker) { self.masker = masker }

    /// Masked bytes that are safe to emit now.
    public mutating func feed(_ chunk: [UInt8]) -> [UInt8] {
        guard !masker.isEmpty else { return chunk }
        pending += chunk
        let masked = masker.mask(pending)
        // Keep back the tail that could be the start of a secret.
        let keep = min(masker.longest - 1, masked.count)
        var cut = masked.count - keep
        // Never cut inside a mask that was just written.
        while cut > 0 && cut < masked.count && masked[cut - 1] == UInt8(ascii: "*") { cut -= 1 }
        let emitted = Array(masked[..<cut])
        pending = Array(masked[cut...])
        return emitted
    }

    /// Whatever is left at the end of the stream.
    public mutating func finish() -> [UInt8] {
        defer { pending = [] }
        return masker.mask(pending)
    }
}
