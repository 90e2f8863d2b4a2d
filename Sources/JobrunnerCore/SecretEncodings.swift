import Foundation

/// The encoded forms of a secret that a script — or an accident — could print instead of the
/// secret itself: base64 and base64url (at each of the three byte alignments a secret can have
/// inside a longer encoded text, e.g. `env | base64`), hex in either case, and percent-encoding.
/// `SecretMasker` masks every one of them.
public enum SecretEncodings {
    /// Forms shorter than this are not masked: they would match ordinary text.
    public static let minimumLength = 6

    public static func forms(of secret: [UInt8]) -> Set<[UInt8]> {
        guard !secret.isEmpty else { return [] }
        var forms = Set<[UInt8]>()
        for alignment in 0..<3 {
            let core = base64Core(secret, alignment: alignment)
            forms.insert(core)
            forms.insert(core.map(urlAlphabet))
        }
        let digits = Array("0123456789abcdef".utf8)
        let hex = secret.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }
        forms.insert(hex)
        forms.insert(hex.map(uppercased))
        let percent = percentEncoded(secret)
        if percent != secret {
            forms.insert(percent)
            forms.insert(percentEncoded(secret, lowercase: true))
        }
        return forms.filter { $0.count >= minimumLength && $0 != secret }
    }

    /// The base64 characters that depend only on the secret's bytes when it starts `alignment`
    /// bytes into a 3-byte group: whatever surrounds it, an encoding of a text containing the
    /// secret at that alignment contains these characters.
    static func base64Core(_ secret: [UInt8], alignment: Int) -> [UInt8] {
        let encoded = Array(Data(Array(repeating: 0, count: alignment) + secret).base64EncodedString().utf8)
        let secretBits = (start: 8 * alignment, end: 8 * (alignment + secret.count))
        let first = (secretBits.start + 5) / 6
        let last = secretBits.end / 6
        guard first < last, last <= encoded.count else { return [] }
        return Array(encoded[first..<last])
    }

    private static func urlAlphabet(_ character: UInt8) -> UInt8 {
        switch character {
        case UInt8(ascii: "+"): UInt8(ascii: "-")
        case UInt8(ascii: "/"): UInt8(ascii: "_")
        default: character
        }
    }

    private static func uppercased(_ character: UInt8) -> UInt8 {
        (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(character) ? character - 32 : character
    }

    /// Every byte but RFC 3986's unreserved characters as `%XX`.
    static func percentEncoded(_ bytes: [UInt8], lowercase: Bool = false) -> [UInt8] {
        let digits = Array((lowercase ? "0123456789abcdef" : "0123456789ABCDEF").utf8)
        var output: [UInt8] = []
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            default:
                output += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            }
        }
        return output
    }
}
