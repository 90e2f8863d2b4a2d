/// Keeps the head and the tail of a stream up to a byte limit, counting what was cut, so a
/// script that prints 50 MB is recorded without holding 50 MB: the beginning (usually the
/// context) and the end (usually the error) survive.
public struct OutputCapture: Sendable, Equatable {
    public let limit: Int
    public private(set) var head: [UInt8] = []
    public private(set) var tail: [UInt8] = []
    /// Every byte the stream produced.
    public private(set) var totalBytes = 0

    public init(limit: Int) { self.limit = max(limit, 2) }

    public var isTruncated: Bool { totalBytes > head.count + tail.count }
    public var droppedBytes: Int { totalBytes - head.count - tail.count }

    public mutating func append(_ chunk: some Collection<UInt8>) {
        totalBytes += chunk.count
        let headLimit = limit / 2
        var rest = chunk[...]
        if head.count < headLimit {
            let take = min(headLimit - head.count, rest.count)
            head += rest.prefix(take)
            rest = rest.dropFirst(take)
        }
        guard !rest.isEmpty else { return }
        let tailLimit = limit - headLimit
        tail += rest.suffix(tailLimit)
        if tail.count > tailLimit { tail.removeFirst(tail.count - tailLimit) }
    }

    /// Head and tail, with a marker line between them saying how much was cut.
    public var bytes: [UInt8] {
        guard isTruncated else { return head + tail }
        return head + Array("\n[… jobrunner: \(droppedBytes) bytes cut …]\n".utf8) + tail
    }
}
