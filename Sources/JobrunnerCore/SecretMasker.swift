/// Replaces the values of configured secrets — and their base64, base64url, hex and
/// percent-encoded forms (`SecretEncodings`) — with `***` in bytes that are stored or committed.
///
/// Output arrives in chunks, and a secret can straddle two of them; `StreamMasker` holds back
/// just enough of each chunk's end to catch that.
public struct SecretMasker: Sendable {
    public static let mask: [UInt8] = Array("***".utf8)
    /// The configured values (3 bytes or longer), to extend a masker with more.
    public let values: [String]
    /// Every form masked, by first byte, longest first so a form containing another is masked whole.
    private let patterns: [[[UInt8]]]
    let longest: Int

    /// Values shorter than 3 bytes are not masked: they would mask ordinary text everywhere.
    public init(values: [String]) {
        let secrets = Set(values.filter { $0.utf8.count >= 3 })
        self.values = secrets.sorted()
        var forms = Set<[UInt8]>()
        for secret in secrets {
            let bytes = Array(secret.utf8)
            forms.insert(bytes)
            forms.formUnion(SecretEncodings.forms(of: bytes))
        }
        var table = Array(repeating: [[UInt8]](), count: 256)
        for form in forms { table[Int(form[0])].append(form) }
        patterns = table.map { $0.sorted { $0.count > $1.count || ($0.count == $1.count && $0.lexicographicallyPrecedes($1)) } }
        longest = forms.map(\.count).max() ?? 0
    }

    public var isEmpty: Bool { values.isEmpty }

    /// The length of the form that starts at `index`, if one does (it must fit in `bytes`).
    func match(at index: Int, in bytes: [UInt8]) -> Int? {
        for form in patterns[Int(bytes[index])] where bytes.count - index >= form.count {
            if bytes[index..<(index + form.count)].elementsEqual(form) { return form.count }
        }
        return nil
    }

    /// Whether `bytes` is the beginning of some masked form (shorter than it).
    func isPrefixOfForm(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        return patterns[Int(first)].contains { $0.count > bytes.count && $0.starts(with: bytes) }
    }

    public func mask(_ bytes: [UInt8]) -> [UInt8] {
        guard !isEmpty, !bytes.isEmpty else { return bytes }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if let length = match(at: index, in: bytes) {
                output += Self.mask
                index += length
            } else {
                output.append(bytes[index])
                index += 1
            }
        }
        return output
    }

    public func mask(_ text: String) -> String {
        String(decoding: mask(Array(text.utf8)), as: UTF8.self)
    }
}

/// Masks a stream chunk by chunk without missing secrets split across chunks. It holds back only
/// a tail that could still become a masked form (at most the longest form minus one byte), so
/// live output shows everything else at once.
public struct StreamMasker: Sendable {
    private let masker: SecretMasker
    private var pending: [UInt8] = []

    public init(_ masker: SecretMasker) { self.masker = masker }

    /// Bytes the masker holds back (at most the longest form minus one).
    public var heldBack: Int { pending.count }

    /// Masked bytes that are safe to emit now.
    public mutating func feed(_ chunk: [UInt8]) -> [UInt8] {
        guard !masker.isEmpty else { return chunk }
        pending += chunk
        // A form starting before `cut` lies wholly within `pending`, so it is decided now; one
        // starting at or after it might continue in the next chunk.
        var cut = max(0, pending.count - (masker.longest - 1))
        // Of the undecided tail, only what could be the start of a form waits for the next chunk.
        while cut < pending.count, !masker.isPrefixOfForm(pending[cut...]) { cut += 1 }
        var output: [UInt8] = []
        output.reserveCapacity(cut)
        var index = 0
        while index < cut {
            if let length = masker.match(at: index, in: pending) {
                output += SecretMasker.mask
                index += length
            } else {
                output.append(pending[index])
                index += 1
            }
        }
        pending.removeFirst(index)
        return output
    }

    /// Whatever is left at the end of the stream.
    public mutating func finish() -> [UInt8] {
        defer { pending = [] }
        return masker.mask(pending)
    }
}
