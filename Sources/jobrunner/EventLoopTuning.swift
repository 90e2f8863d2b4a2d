import Foundation
import NIOCore

/// How many NIO event loops the long-running commands (`serve`, `worker`) use: half the cores, at
/// least one, instead of NIO's one per core.
///
/// An event loop only moves bytes (HTTP, PostgreSQL); the work of a request runs in Swift tasks
/// and in the store's writer, which need the cores too. With a loop per core, a 2-core machine
/// ran two loops, two task threads and the writer, and spent a tenth of intake's time switching
/// between them (perf); one loop there measured 3–5 % more deliveries a second (bench/README.md).
/// `NIO_SINGLETON_GROUP_LOOP_COUNT` set in the environment still decides.
enum EventLoopTuning {
    static func loops(cores: Int) -> Int { max(1, cores / 2) }

    static func applyForService() {
        guard ProcessInfo.processInfo.environment["NIO_SINGLETON_GROUP_LOOP_COUNT"] == nil else { return }
        NIOSingletons.groupLoopCountSuggestion = loops(cores: System.coreCount)
    }
}
