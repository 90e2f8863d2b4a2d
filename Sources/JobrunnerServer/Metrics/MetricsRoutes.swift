import Foundation
import Hummingbird
import JobrunnerCore
import JobrunnerStages
import JobrunnerStore
import NIOCore
import Prometheus

/// `GET /metrics` in the Prometheus text format. Needs a dashboard token as Bearer unless
/// `JOBRUNNER_METRICS_PUBLIC=true`.
struct MetricsRoutes: Sendable {
    let store: any PipelineLookup
    let metrics: PrometheusServiceMetrics
    let authenticator: OperatorAuthenticator
    let isPublic: Bool
    let clock: any JobClock
    var orphanScan: OrphanScriptScan? = nil

    func register(on router: CatalogedRouter) {
        router.get("/metrics") { request, _ in
            if !isPublic && authenticator.operatorFor(authorization: request.headers[.authorization]) == nil {
                return APIRoutes.unauthorized(
                    "send a dashboard token as 'Authorization: Bearer <token>' or set JOBRUNNER_METRICS_PUBLIC=true")
            }
            // Queue gauges from the store; if it is down, the process counters still answer.
            if let statistics = try? await store.statistics() {
                metrics.update(from: statistics, now: clock.now())
            }
            if let orphanScan {
                let report = await orphanScan.report(maxAge: .seconds(60))
                metrics.update(orphans: report.counts(of: orphanScan.repositories))
            }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.registry.emitToBuffer())))
        }
    }
}
