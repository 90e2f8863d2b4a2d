import Foundation
@testable import JobrunnerServer
import JobrunnerTestSupport
import Testing

/// Log lines leave through a background queue in batches; none may be lost, torn or reordered.
@Suite("Buffered log output")
struct BufferedLogOutputTests {
    @Test
    func everyLineArrivesWholeAndEachWritersLinesInOrder() async throws {
        let directory = try TemporaryDirectory("log-output")
        let path = directory.file("stderr.log")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        let output = BufferedLogOutput(descriptor: descriptor)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for line in 0..<2000 { output.write("writer \(writer) line \(line) \(String(repeating: "x", count: line % 97))\n") }
                }
            }
        }
        try await eventually("every line is written", timeout: .seconds(10)) {
            (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n").count == 16_000
        }
        var next = [Int](repeating: 0, count: 8)
        for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
            let words = line.split(separator: " ")
            let writer = try #require(Int(words[1]))
            #expect(Int(words[3]) == next[writer], "writer \(writer)'s lines in order")
            #expect(words.count == 5 ? words[4].count == next[writer] % 97 : next[writer] % 97 == 0, "a whole line")
            next[writer] += 1
        }
        #expect(next == [Int](repeating: 2000, count: 8))
    }

    @Test
    func flushWritesWhatIsBufferedAtOnce() throws {
        let directory = try TemporaryDirectory("log-flush")
        let path = directory.file("stderr.log")
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        defer { close(descriptor) }
        let output = BufferedLogOutput(descriptor: descriptor)
        output.write("the reason serve is exiting\n")
        output.flush()  // what exit's handler does
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "the reason serve is exiting\n")
    }
}
