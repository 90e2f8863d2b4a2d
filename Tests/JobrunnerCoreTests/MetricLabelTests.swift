import JobrunnerCore
import Testing

/// Metric labels are closed sets: every outcome intake records has its label, so an answer is
/// never counted as `malformed` because its outcome was spelt differently.
@Suite("Metric labels")
struct MetricLabelTests {
    @Test
    func everyRecordedDeliveryOutcomeHasItsAnswerLabel() {
        for outcome in DeliveryOutcome.allCases {
            #expect(DeliveryAnswer(rawValue: outcome.rawValue) != nil, "\(outcome) has no label")
        }
    }

    @Test
    func labelsAreTheOnesDashboardsAlreadyQuery() {
        #expect(DeliveryAnswer.allCases.map(\.rawValue).sorted() == [
            "accepted", "bad-signature", "failed", "ignored", "malformed", "pong", "redelivery", "store-unavailable", "too-large",
        ])
        #expect(StageAttemptResult.allCases.map(\.rawValue).sorted() == [
            "cancelled", "deferred", "failed", "interrupted", "lease-lost", "released", "retrying", "succeeded",
        ])
    }
}
