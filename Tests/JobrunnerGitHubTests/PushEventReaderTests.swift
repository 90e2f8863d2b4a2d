import Foundation
@testable import JobrunnerGitHub
import Testing

/// Intake reads pushes with `PushEvent.read(from:)`, not `JSONDecoder`. For every payload — real
/// ones, each field removed, nulled or given every wrong type, repeated keys, escapes, broken
/// bytes — both must give the same event or the same refusal.
@Suite("Push payload reader")
struct PushEventReaderTests {
    /// A JSON document to mutate and write out.
    indirect enum J {
        case object([(String, J)])
        case array([J])
        case string(String)
        case number(String)
        case bool(Bool)
        case null

        var text: String {
            switch self {
            case .object(let fields): "{" + fields.map { "\(J.quote($0.0)):\($0.1.text)" }.joined(separator: ",") + "}"
            case .array(let elements): "[" + elements.map(\.text).joined(separator: ",") + "]"
            case .string(let value): J.quote(value)
            case .number(let value): value
            case .bool(let value): value ? "true" : "false"
            case .null: "null"
            }
        }

        static func quote(_ text: String) -> String {
            String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
        }

        /// Every variant with one change at one place: a key removed, a value replaced by each
        /// kind of value, a key repeated, an array element added.
        func variants() -> [J] {
            let replacements: [J] = [.null, .number("1"), .string("x"), .bool(true), .array([]), .object([])]
            switch self {
            case .object(let fields):
                var result: [J] = []
                for (index, field) in fields.enumerated() {
                    var removed = fields
                    removed.remove(at: index)
                    result.append(.object(removed))
                    for replacement in replacements {
                        var replaced = fields
                        replaced[index].1 = replacement
                        result.append(.object(replaced))
                    }
                    result.append(.object(fields + [(field.0, .string("repeated"))]))
                    result.append(.object([(field.0, .string("repeated"))] + fields))
                    for inner in field.1.variants() {
                        var changed = fields
                        changed[index].1 = inner
                        result.append(.object(changed))
                    }
                }
                return result
            case .array(let elements):
                var result: [J] = [.array(elements + [.null]), .array(elements + [.number("2")]), .array([])]
                for (index, element) in elements.enumerated() {
                    for inner in element.variants() {
                        var changed = elements
                        changed[index] = inner
                        result.append(.array(changed))
                    }
                }
                return result
            default:
                return []
            }
        }
    }

    static func commit(_ id: String, added: [String], message: String = "Add rename-key (#9)\n\nbody ✓") -> J {
        .object([
            ("id", .string(id)), ("tree_id", .string(String(repeating: "e", count: 40))), ("distinct", .bool(true)),
            ("message", .string(message)), ("timestamp", .string("2026-11-22T10:00:00+01:00")),
            ("url", .string("https://github.com/acme/ops/commit/\(id)")),
            ("author", .object([("name", .string("Zoë Ünal")), ("email", .string("zoe@example.com")), ("username", .string("zoe"))])),
            ("committer", .object([("name", .string("GitHub")), ("email", .string("noreply@github.com")), ("username", .string("web-flow"))])),
            ("added", .array(added.map(J.string))), ("removed", .array([])), ("modified", .array([.string("README.md")])),
        ])
    }

    /// A payload shaped like GitHub's: many fields intake does not read, numbers, nesting.
    static let payload: J = .object([
        ("ref", .string("refs/heads/main")), ("before", .string(String(repeating: "a", count: 40))),
        ("after", .string(String(repeating: "b", count: 40))),
        ("repository", .object([
            ("id", .number("123456789")), ("node_id", .string("R_kgDOH")), ("name", .string("ops")), ("full_name", .string("acme/ops")),
            ("private", .bool(true)),
            ("owner", .object([("name", .string("acme")), ("login", .string("acme")), ("id", .number("42")), ("site_admin", .bool(false))])),
            ("description", .null), ("fork", .bool(false)), ("created_at", .number("1700000000")), ("size", .number("-0.5e+3")),
            ("stargazers_count", .number("0")), ("score", .number("1.25E-2")), ("topics", .array([.string("ops"), .string("db")])),
            ("default_branch", .string("main")), ("master_branch", .string("main")),
        ])),
        ("pusher", .object([("name", .string("zoe")), ("email", .string("zoe@example.com"))])),
        ("sender", .object([("login", .string("zoe")), ("id", .number("7")), ("type", .string("User"))])),
        ("created", .bool(false)), ("deleted", .bool(false)), ("forced", .bool(false)), ("base_ref", .null),
        ("compare", .string("https://github.com/acme/ops/compare/aaa...bbb")),
        ("commits", .array([
            commit(String(repeating: "c", count: 40), added: ["jobs/rename-key.ts"]),
            commit(String(repeating: "b", count: 40), added: ["jobs/\"quoted\" \\ name.sh", "jobs/😀.py"], message: "tab\there\u{1}"),
        ])),
        ("head_commit", commit(String(repeating: "b", count: 40), added: ["jobs/x.sh"])),
    ])

    enum Outcome: Equatable {
        case event(PushEvent)
        case refused(String)

        init(_ body: () throws -> PushEvent) {
            do { self = .event(try body()) } catch { self = .refused("\(error)") }
        }
    }

    /// On broken text the reader may be stricter, never laxer: what it reads, `JSONDecoder` read
    /// alike; what it refuses, `JSONDecoder` refused for the same reason, or it is not valid JSON.
    static func noLaxerOutcome(_ data: Data, _ label: String) {
        let decoded = Outcome { try WebhookPayload.decode(PushEvent.self, from: data) }
        let read = Outcome { try PushEvent.read(from: data) }
        #expect(read == decoded || read == .refused("body is not valid JSON"), "\(label): \(read) vs \(decoded)")
    }

    static func sameOutcome(_ data: Data, _ label: String) {
        let decoded = Outcome { try WebhookPayload.decode(PushEvent.self, from: data) }
        let read = Outcome { try PushEvent.read(from: data) }
        #expect(read == decoded, "\(label)")
    }

    @Test
    func everyVariantOfAPayloadReadsAsJSONDecoderDecodesIt() throws {
        let variants = [Self.payload] + Self.payload.variants()
        #expect(variants.count > 500)
        for (index, variant) in variants.enumerated() {
            Self.sameOutcome(Data(variant.text.utf8), "variant \(index)")
        }
        let read = try PushEvent.read(from: Data(Self.payload.text.utf8))
        #expect(read.commits.map(\.added) == [["jobs/rename-key.ts"], ["jobs/\"quoted\" \\ name.sh", "jobs/😀.py"]])
        #expect(read.repository.fullName == "acme/ops" && read.headCommit?.author.username == "zoe")
    }

    @Test
    func theRecordedGitHubPayloadsReadAlike() throws {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("JobrunnerServerTests/Fixtures")
        let files = try FileManager.default.contentsOfDirectory(atPath: fixtures.path).filter { $0.hasPrefix("push-") }
        #expect(files.count >= 5)
        for file in files {
            let data = try Data(contentsOf: fixtures.appendingPathComponent(file))
            Self.sameOutcome(data, file)
            #expect(throws: Never.self) { try PushEvent.read(from: data) }
        }
    }

    @Test
    func brokenTextIsRefusedAtLeastAsJSONDecoderRefusedIt() {
        let text = Array(Self.payload.text.utf8)
        // Cut short anywhere, and one byte replaced by what breaks JSON or UTF-8.
        for length in stride(from: 0, to: text.count, by: 7) {
            Self.noLaxerOutcome(Data(text[0..<length]), "cut at \(length)")
        }
        for position in stride(from: 0, to: text.count, by: 11) {
            for byte: UInt8 in [0x00, 0x0A, 0x22, 0x2C, 0x5C, 0x7B, 0x5D, 0xC3, 0xFF] {
                var broken = text
                broken[position] = byte
                Self.noLaxerOutcome(Data(broken), "byte \(byte) at \(position)")
            }
        }
        // Stricter where it matters: a control character or broken UTF-8 in a string intake does
        // not read still makes the body invalid.
        for broken in ["\"x\u{1}y\"", "\"x\ny\""] {
            let data = Data(Self.payload.text.replacingOccurrences(of: #""User""#, with: broken).utf8)
            #expect(Outcome { try PushEvent.read(from: data) } == .refused("body is not valid JSON"))
        }
        var invalidUTF8 = Array(Self.payload.text.utf8)
        invalidUTF8[invalidUTF8.firstIndex(of: UInt8(ascii: "U"))!] = 0xFF
        #expect(Outcome { try PushEvent.read(from: Data(invalidUTF8)) } == .refused("body is not valid JSON"))
        Self.sameOutcome(Data(Self.payload.text.replacingOccurrences(of: #""refs/heads/main""#, with: #""\u0041\ud83d\ude00\/\b\n""#).utf8), "escapes")
        let escapes = [
            #""\u0041\u00e9\ud83d\ude00\/\b\f\n\r\t""#, #""\ud83d""#, #""\ude00x""#, #""\u12""#, #""\x""#, #""\u0000""#,
        ]
        for escape in escapes {
            Self.noLaxerOutcome(Data(Self.payload.text.replacingOccurrences(of: #""refs/heads/main""#, with: escape).utf8), escape)
        }
        for document in ["", " ", "null", "[]", "\"push\"", "1", "{}", "\u{FEFF}" + Self.payload.text, Self.payload.text + " x", "{\"ref\":01}"] {
            Self.noLaxerOutcome(Data(document.utf8), document)
        }
        Self.sameOutcome(Data(("\u{FEFF}" + Self.payload.text).utf8), "byte order mark")
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        Self.sameOutcome(Data(Self.payload.text.replacingOccurrences(of: #""base_ref":null"#, with: #""base_ref":"# + deep).utf8), "600 deep")
    }
}
