import JobrunnerCore

/// A pull request as the dry-run decision needs it, read through the REST API: its state, base
/// and head (and whether the head lives in a fork), the approvers of the head — counted as the
/// approval policy counts them, from reviewers with write access — and the scripts the head adds
/// or modifies in the jobs directory (the pull request's files, every page), each with its blob.
public struct GitHubPullRequestInspector: PullRequestInspector {
    public let api: any GitHubAPI
    public let detector: ScriptDetector

    public init(api: any GitHubAPI, detector: ScriptDetector) {
        self.api = api
        self.detector = detector
    }

    public func inspect(_ repository: RepositoryName, number: Int) async throws -> InspectedPullRequest {
        let pull = try await api.pullRequest(number, in: repository)
        guard let head = pull.head?.sha else {
            throw GitHubAPIError.invalidResponse(url: "pulls/\(number)", reason: "the pull request has no head commit")
        }
        let isOpen = (pull.state ?? "open") == "open" && !pull.isMerged
        var approvers: [String] = []
        var scripts: [NewDryRun] = []
        if isOpen {
            approvers = try await api.approvers(of: pull, in: repository, requireWriteAccess: true).approvers
            let files = try await api.files(of: number, in: repository)
            let blobs = Dictionary(files.compactMap { file in file.sha.map { (file.filename, $0) } }, uniquingKeysWith: { $1 })
            let detected = detector.detect([
                ScriptDetector.Commit(
                    id: head, message: "", author: pull.user.login,
                    added: files.filter { ["added", "copied", "renamed"].contains($0.status) }.map(\.filename),
                    modified: files.filter { $0.status == "modified" || $0.status == "changed" }.map(\.filename))
            ])
            scripts = detected.scripts.compactMap { script in
                blobs[script.path].map { NewDryRun(scriptPath: script.path, blob: $0) }
            }
        }
        return InspectedPullRequest(
            facts: DryRunEligibility.Facts(
                isOpen: isOpen, baseBranch: pull.base.ref, fromFork: pull.isFromFork, head: head, approvers: approvers,
                scripts: scripts),
            title: pull.title, url: pull.htmlURL)
    }
}
