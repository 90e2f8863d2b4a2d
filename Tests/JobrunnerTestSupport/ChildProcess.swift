import Foundation
import JobrunnerCore

/// Runs a program (looked up on PATH) to completion and returns its exit status and both output
/// streams. Blocking: call it from a dedicated thread in async tests. stderr is read on a thread
/// of its own, so a chatty stream cannot stall the child.
public func runToCompletion(
    _ arguments: [String], in directory: String, environment: [String: String]? = nil
) throws -> (status: Int32, stdout: Data, stderr: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    if let environment { process.environment = environment }
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let errorData = Locked(Data())
    let errorsRead = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        let data = errors.fileHandleForReading.readDataToEndOfFile()
        errorData.withLock { $0 = data }
        errorsRead.signal()
    }
    let data = output.fileHandleForReading.readDataToEndOfFile()
    errorsRead.wait()
    process.waitUntilExit()
    return (process.terminationStatus, data, errorData.value)
}
