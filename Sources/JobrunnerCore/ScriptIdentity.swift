import Foundation

/// Who a sandboxed script runs as (`JOBRUNNER_SCRIPT_USER`).
public struct ScriptIdentity: Sendable, Equatable, CustomStringConvertible {
    public var uid: UInt32
    public var gid: UInt32

    public init(uid: UInt32, gid: UInt32) {
        self.uid = uid
        self.gid = gid
    }

    /// `nobody`: owns nothing, so nothing group- or owner-readable of the service's is readable.
    public static let nobody = ScriptIdentity(uid: 65534, gid: 65534)

    /// `UID` or `UID:GID`.
    public init?(parsing text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let uid = UInt32(parts[0]), uid != 0 else { return nil }
        let gid = parts.count == 2 ? UInt32(parts[1]) : uid
        guard let gid, gid != 0 else { return nil }
        self.init(uid: uid, gid: gid)
    }

    public var description: String { "\(uid):\(gid)" }
}
