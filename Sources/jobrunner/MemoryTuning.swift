#if canImport(Glibc)
import Glibc
#endif

/// Allocator settings for the long-running commands (`serve`, `worker`).
///
/// glibc hands freed memory at the top of a thread's heap back to the kernel as soon as it
/// exceeds a small threshold (`madvise`), and every such call makes every core flush its TLB.
/// Under webhook load that churn cost 10–25 % of intake throughput (bench/README.md). Keeping
/// up to 32 MiB free per heap stops it, at a bounded cost in resident memory.
enum MemoryTuning {
    static let trimThreshold: Int32 = 32 << 20
    /// `M_TRIM_THRESHOLD` in glibc's malloc.h, which Swift's Glibc module does not export.
    static let trimThresholdParameter: Int32 = -1

    /// Sets the threshold through `mallopt`, looked up at run time (not in Swift's Glibc
    /// module); does nothing on a C library without it.
    static func applyForService() {
        #if canImport(Glibc)
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        _ = unsafeBitCast(symbol, to: Mallopt.self)(trimThresholdParameter, trimThreshold)
        #endif
    }
}
