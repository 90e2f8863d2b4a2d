extension IntakeAnswer {
    /// The answer as `JSONEncoder` with `.sortedKeys` writes it, byte for byte
    /// (`IntakeAnswerJSONTests` holds the two to that), written directly: the generic encoder
    /// was a tenth of what answering a delivery cost.
    func json() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(160 + pipelines.count * 64 + skipped.count * 96)
        out.append(contentsOf: #"{"delivery":"#.utf8)
        Self.string(delivery, into: &out)
        out.append(contentsOf: #","message":"#.utf8)
        Self.string(message, into: &out)
        out.append(contentsOf: #","outcome":"#.utf8)
        Self.string(outcome, into: &out)
        out.append(contentsOf: #","pipelines":["#.utf8)
        for (index, pipeline) in pipelines.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"created":"#.utf8)
            out.append(contentsOf: (pipeline.created ? "true" : "false").utf8)
            out.append(contentsOf: #","id":"#.utf8)
            out.append(contentsOf: String(pipeline.id).utf8)
            out.append(contentsOf: #","path":"#.utf8)
            Self.string(pipeline.path, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "]"))
        if let reason {
            out.append(contentsOf: #","reason":"#.utf8)
            Self.string(reason, into: &out)
        }
        out.append(contentsOf: #","redelivery":"#.utf8)
        out.append(contentsOf: (redelivery ? "true" : "false").utf8)
        out.append(contentsOf: #","skipped":["#.utf8)
        for (index, skip) in skipped.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: #"{"path":"#.utf8)
            Self.string(skip.path, into: &out)
            out.append(contentsOf: #","reason":"#.utf8)
            Self.string(skip.reason, into: &out)
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }

    /// A JSON string with `JSONEncoder`'s escapes: quote, backslash, slash, the short control
    /// escapes, `\u00xx` (lower-case hex) for the other control characters; the rest as is.
    static func string(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "/"): out.append(contentsOf: #"\/"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0..<0x20: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30, Self.hexDigit(byte >> 4), Self.hexDigit(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// A lower-case hex digit of a nibble.
    static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") + nibble - 10
    }
}
