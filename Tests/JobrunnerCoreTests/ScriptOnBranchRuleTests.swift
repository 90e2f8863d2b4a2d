import Foundation
import JobrunnerCore
import Testing

@Suite("A script runs only while it is on the branch as built")
struct ScriptOnBranchRuleTests {
    static let pipeline = PipelineRecord(
        id: PipelineID(4),
        source: NewPipeline(repository: RepositoryName(rawValue: "acme/ops")!, branch: "main", scriptPath: "jobs/x.sh", commit: String(repeating: "c", count: 40)),
        deliveryID: DeliveryID("d"), createdAt: Date(timeIntervalSince1970: 0))

    @Test
    func onlyTheBuiltContentOnTheTipRuns() {
        let tip = String(repeating: "f", count: 40)
        #expect(ScriptOnBranchRule.decide(pipeline: Self.pipeline, tip: tip, tipBlob: "b1", builtBlob: "b1") == .run)
        guard case .refuse(let gone) = ScriptOnBranchRule.decide(pipeline: Self.pipeline, tip: tip, tipBlob: nil, builtBlob: "b1"),
            case .refuse(let changed) = ScriptOnBranchRule.decide(pipeline: Self.pipeline, tip: tip, tipBlob: "b2", builtBlob: "b1")
        else {
            Issue.record("each of these must be refused")
            return
        }
        #expect(gone.contains("no longer on main") && gone.contains("nothing was run"))
        #expect(changed.contains("changed on main"))
    }
}
