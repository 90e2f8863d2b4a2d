import AsyncHTTPClient
import Foundation
import JobrunnerCore
import JobrunnerStages
import NIOCore
import NIOHTTP1

/// `JOBRUNNER_APP_REVISION=https://…`: the first full commit id in what an endpoint of the
/// application answers (e.g. `/version`), asked with a short timeout.
struct HTTPRevisionSource: DeployedRevisionSource {
    let url: String
    var httpClient: HTTPClient = .shared
    var timeout: TimeAmount = .seconds(5)

    func currentRevision() async throws -> String {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "User-Agent", value: "jobrunner")
        let body: ByteBuffer
        let status: UInt
        do {
            let response = try await httpClient.execute(request, timeout: timeout)
            status = response.status.code
            body = try await response.body.collect(upTo: 64 * 1024)
        } catch {
            throw RevisionReadError(location: url, problem: "\(error)")
        }
        guard (200..<300).contains(status) else {
            throw RevisionReadError(location: url, problem: "it answered \(status)")
        }
        guard let commit = RevisionLocation.commit(in: String(buffer: body)) else {
            throw RevisionReadError(location: url, problem: "its answer holds no 40-hex commit id")
        }
        return commit
    }
}
