import CZlib
import Foundation

/// The files of a `.tar.gz` — what GitHub's `tarball` endpoint answers — read in memory: one
/// request for a whole repository tree instead of one per file. Understands ustar, pax
/// (`path` records, as `git archive` writes for long names) and GNU long names; regular files
/// only (directories, symbolic links and the rest are skipped).
enum TarGzArchive {
    enum Problem: Error, Equatable {
        /// The files kept add up to more than the limit.
        case tooLarge
        case malformed(String)
    }

    /// - Parameters:
    ///   - stripComponents: leading path components to drop (GitHub's `owner-repo-sha/`).
    ///   - include: whether a file (by its stripped path) is kept.
    ///   - limit: the most the kept files may add up to.
    static func files(
        _ gzipped: Data, stripComponents: Int, include: (String) -> Bool, limit: Int
    ) throws -> [String: [UInt8]] {
        // The unpacked archive may hold much that is not kept; bound it anyway (4× the limit).
        let tar = try gunzip(Array(gzipped), limit: limit.multipliedReportingOverflow(by: 4).overflow ? Int.max : limit * 4)
        var files: [String: [UInt8]] = [:]
        var total = 0
        var offset = 0
        var nextName: String?
        while offset + 512 <= tar.count {
            let header = tar[offset..<offset + 512]
            if header.allSatisfy({ $0 == 0 }) { break }
            guard let size = octal(header, 124, 12) else { throw Problem.malformed("bad size at \(offset)") }
            let type = header[header.startIndex + 156]
            let dataStart = offset + 512
            guard dataStart + size <= tar.count else { throw Problem.malformed("truncated at \(offset)") }
            let data = tar[dataStart..<dataStart + size]
            offset = dataStart + (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "x"):
                nextName = paxPath(data) ?? nextName
                continue
            case UInt8(ascii: "L"):
                nextName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
                continue
            case UInt8(ascii: "g"):
                continue
            default:
                break
            }
            let name = nextName ?? ustarName(header)
            nextName = nil
            guard type == UInt8(ascii: "0") || type == 0 else { continue }
            let components = name.split(separator: "/")
            guard components.count > stripComponents else { continue }
            let path = components.dropFirst(stripComponents).joined(separator: "/")
            guard include(path) else { continue }
            total += size
            guard total <= limit else { throw Problem.tooLarge }
            files[path] = Array(data)
        }
        return files
    }

    static func ustarName(_ header: ArraySlice<UInt8>) -> String {
        let base = header.startIndex
        let name = String(decoding: header[base..<base + 100].prefix { $0 != 0 }, as: UTF8.self)
        let prefix = String(decoding: header[base + 345..<base + 500].prefix { $0 != 0 }, as: UTF8.self)
        return prefix.isEmpty ? name : prefix + "/" + name
    }

    static func octal(_ header: ArraySlice<UInt8>, _ start: Int, _ length: Int) -> Int? {
        let base = header.startIndex + start
        let text = String(decoding: header[base..<base + length].prefix { $0 != 0 && $0 != 32 }, as: UTF8.self)
        return text.isEmpty ? 0 : Int(text, radix: 8)
    }

    /// The `path` record of a pax header ("LEN path=VALUE\n" records).
    static func paxPath(_ data: ArraySlice<UInt8>) -> String? {
        var index = data.startIndex
        while index < data.endIndex {
            guard let space = data[index...].firstIndex(of: 32),
                let length = Int(String(decoding: data[index..<space], as: UTF8.self)), length > 0,
                index + length <= data.endIndex
            else { return nil }
            let record = String(decoding: data[(space + 1)..<(index + length - 1)], as: UTF8.self)
            if record.hasPrefix("path=") { return String(record.dropFirst(5)) }
            index += length
        }
        return nil
    }

    /// Inflates gzip data (zlib with gzip headers), refusing to produce more than `limit` bytes.
    static func gunzip(_ input: [UInt8], limit: Int) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Problem.malformed("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        var status: Int32 = Z_OK
        try input.withUnsafeBufferPointer { source in
            stream.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.avail_in = uInt(source.count)
            repeat {
                status = chunk.withUnsafeMutableBufferPointer { target -> Int32 in
                    stream.next_out = target.baseAddress
                    stream.avail_out = uInt(target.count)
                    return inflate(&stream, Z_NO_FLUSH)
                }
                guard status == Z_OK || status == Z_STREAM_END else {
                    throw Problem.malformed("not gzip data (zlib status \(status))")
                }
                output += chunk[0..<(chunk.count - Int(stream.avail_out))]
                guard output.count <= limit else { throw Problem.tooLarge }
            } while status != Z_STREAM_END && (stream.avail_in > 0 || stream.avail_out == 0)
        }
        guard status == Z_STREAM_END else { throw Problem.malformed("the archive ends early") }
        return output
    }
}
