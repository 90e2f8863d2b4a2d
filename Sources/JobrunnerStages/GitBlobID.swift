import Crypto
import Foundation

/// The id git gives a file's content: SHA-1 of `blob <size>\0<bytes>`. EXECUTE compares it with
/// the branch tip's without fetching any content.
enum GitBlobID {
    static func of(_ content: [UInt8]) -> String {
        var hasher = Insecure.SHA1()
        hasher.update(data: Array("blob \(content.count)\0".utf8))
        hasher.update(data: content)
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
