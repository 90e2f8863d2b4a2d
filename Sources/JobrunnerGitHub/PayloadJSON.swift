/// A JSON document as the push reader sees it: every value checked, only strings and booleans
/// kept (numbers are checked and dropped — intake reads none).
enum PayloadJSON: Sendable {
    case object([(key: String, value: PayloadJSON)])
    case array([PayloadJSON])
    case string(String)
    case bool(Bool)
    case number
    case null

    struct Invalid: Error {}

    /// Parses `bytes` as one strict JSON value (RFC 8259; a leading UTF-8 byte order mark is
    /// skipped, as `JSONDecoder` does), nested at most 512 deep, as `JSONDecoder` allows.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(Invalid) -> PayloadJSON {
        var parser = Parser(bytes: bytes)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { parser.index = 3 }
        parser.skipSpace()
        let value = try parser.value()
        parser.skipSpace()
        guard parser.index == bytes.count else { throw Invalid() }
        return value
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0
        var depth = 0

        static let maximumDepth = 512

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) throws(Invalid) {
            guard index < bytes.count, bytes[index] == byte else { throw Invalid() }
            index += 1
        }

        mutating func value() throws(Invalid) -> PayloadJSON {
            guard index < bytes.count else { throw Invalid() }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(); return .number
            default: throw Invalid()
            }
        }

        mutating func literal(_ word: StaticString) throws(Invalid) {
            let count = word.utf8CodeUnitCount
            guard bytes.count - index >= count else { throw Invalid() }
            for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] { throw Invalid() }
            index += count
        }

        mutating func object() throws(Invalid) -> PayloadJSON {
            var fields: [(key: String, value: PayloadJSON)] = []
            try members(closedBy: UInt8(ascii: "}")) { parser throws(Invalid) in
                guard parser.index < parser.bytes.count, parser.bytes[parser.index] == UInt8(ascii: "\"") else { throw Invalid() }
                let key = try parser.string()
                parser.skipSpace()
                try parser.expect(UInt8(ascii: ":"))
                parser.skipSpace()
                fields.append((key, try parser.value()))
            }
            return .object(fields)
        }

        mutating func array() throws(Invalid) -> PayloadJSON {
            var elements: [PayloadJSON] = []
            try members(closedBy: UInt8(ascii: "]")) { parser throws(Invalid) in elements.append(try parser.value()) }
            return .array(elements)
        }

        /// An object's or an array's members, from its opening bracket to `close`: each read by
        /// `member`, separated by commas, one level deeper.
        mutating func members(closedBy close: UInt8, _ member: (inout Parser) throws(Invalid) -> Void) throws(Invalid) {
            index += 1
            depth += 1
            guard depth <= Self.maximumDepth else { throw Invalid() }
            defer { depth -= 1 }
            skipSpace()
            if index < bytes.count, bytes[index] == close {
                index += 1
                return
            }
            while true {
                skipSpace()
                try member(&self)
                skipSpace()
                guard index < bytes.count else { throw Invalid() }
                if bytes[index] == UInt8(ascii: ",") {
                    index += 1
                } else {
                    try expect(close)
                    return
                }
            }
        }

        /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
        mutating func number() throws(Invalid) {
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw Invalid() }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                try digits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                try digits()
            }
        }

        mutating func digits() throws(Invalid) {
            guard index < bytes.count, isDigit(bytes[index]) else { throw Invalid() }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }

        func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }

        /// A string from its opening quote: escapes resolved (a `\u` surrogate pair as one
        /// character, a lone surrogate refused), raw control characters and invalid UTF-8
        /// refused — in every string, also those intake does not read (`JSONDecoder` checks only
        /// the ones it decodes).
        mutating func string() throws(Invalid) -> String {
            index += 1
            let start = index
            var ascii = true
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    defer { index += 1 }
                    let run = UnsafeBufferPointer(rebasing: bytes[start..<index])
                    // ASCII is valid UTF-8 as it is; `String(validating:)` is generic code that
                    // looked up type metadata for every string of every payload.
                    if ascii { return String(decoding: run, as: UTF8.self) }
                    guard let text = String(validating: run, as: UTF8.self) else { throw Invalid() }
                    return text
                }
                if byte == UInt8(ascii: "\\") { break }
                guard byte >= 0x20 else { throw Invalid() }
                ascii = ascii && byte < 0x80
                index += 1
            }
            var text = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let result = String(validating: text, as: UTF8.self) else { throw Invalid() }
                    return result
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw Invalid() }
                    let escaped = bytes[index]
                    index += 1
                    switch escaped {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): text.append(escaped)
                    case UInt8(ascii: "b"): text.append(0x08)
                    case UInt8(ascii: "f"): text.append(0x0C)
                    case UInt8(ascii: "n"): text.append(0x0A)
                    case UInt8(ascii: "r"): text.append(0x0D)
                    case UInt8(ascii: "t"): text.append(0x09)
                    case UInt8(ascii: "u"):
                        var scalar = UInt32(try hex4())
                        if (0xD800...0xDBFF).contains(scalar) {
                            guard bytes.count - index >= 6, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                            else { throw Invalid() }
                            index += 2
                            let low = UInt32(try hex4())
                            guard (0xDC00...0xDFFF).contains(low) else { throw Invalid() }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        } else if (0xDC00...0xDFFF).contains(scalar) {
                            throw Invalid()
                        }
                        guard let unicode = Unicode.Scalar(scalar) else { throw Invalid() }
                        UTF8.encode(unicode) { text.append($0) }
                    default:
                        throw Invalid()
                    }
                default:
                    guard byte >= 0x20 else { throw Invalid() }
                    text.append(byte)
                }
            }
            throw Invalid()
        }

        mutating func hex4() throws(Invalid) -> UInt16 {
            guard bytes.count - index >= 4 else { throw Invalid() }
            var value: UInt16 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw Invalid()
                }
                value = value << 4 | UInt16(digit)
                index += 1
            }
            return value
        }
    }
}
