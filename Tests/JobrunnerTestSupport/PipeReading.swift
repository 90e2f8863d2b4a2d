import Foundation
import JobrunnerCore

extension Pipe {
    /// What a child process wrote until `marker` appeared (or the pipe closed), read off the
    /// cooperative pool.
    public func read(until marker: String) async throws -> String {
        let handle = fileHandleForReading
        return try await onDedicatedThread {
            var text = ""
            while !text.contains(marker) {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            return text
        }
    }
}
