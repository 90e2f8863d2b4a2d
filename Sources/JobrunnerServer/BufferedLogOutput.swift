import Dispatch
import Foundation
import Synchronization

/// Standard error for log lines, written from a background queue several lines at a time: a
/// request that logs pays for appending to a buffer rather than for a locked `write(2)` of its
/// own (one per delivery was about a tenth of intake's time under load, perf). Lines gather for
/// `gathering` before a write: flushing at once woke the queue's thread for nearly every line
/// under load, and those wake-ups cost intake 15% of its rate (bench/README.md). Lines keep their
/// order; a burst costs one write. What is buffered is written at `exit` too, so the reason a
/// misconfigured `serve` gives before exiting is never lost.
final class BufferedLogOutput: Sendable {
    static let standardError = BufferedLogOutput(descriptor: STDERR_FILENO)

    private let descriptor: Int32
    /// Lines not yet handed to the kernel, and whether a flush is already scheduled.
    private let pending = Mutex<(bytes: [UInt8], scheduled: Bool)>(([], false))
    /// Held while writing, so two flushes (the queue's and `exit`'s) never interleave.
    private let writing = Mutex<Void>(())
    private let queue = DispatchQueue(label: "jobrunner.log-output")
    /// How long lines gather before they are written together.
    static let gathering = DispatchTimeInterval.milliseconds(5)

    init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    func write(_ line: String) {
        let schedule = pending.withLock { pending -> Bool in
            pending.bytes.append(contentsOf: line.utf8)
            defer { pending.scheduled = true }
            return !pending.scheduled
        }
        if schedule { queue.asyncAfter(deadline: .now() + Self.gathering) { self.flush() } }
    }

    /// Writes whatever is buffered, now.
    func flush() {
        writing.withLock { _ in
            let bytes = pending.withLock { pending -> [UInt8] in
                pending.scheduled = false
                defer { pending.bytes.removeAll(keepingCapacity: pending.bytes.capacity <= 1 << 16) }
                return pending.bytes
            }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return  // standard error is gone; nothing better to do with a log line
                }
            }
        }
    }

    /// Flushes standard error's buffer when the process exits.
    static func flushAtExit() {
        atexit { BufferedLogOutput.standardError.flush() }
    }
}

/// `BufferedLogOutput` as the stream swift-log's plain handler writes to.
struct BufferedLogStream: TextOutputStream, Sendable {
    let output: BufferedLogOutput

    mutating func write(_ string: String) {
        output.write(string)
    }
}
