import Dispatch

/// Splits element-wise and row-wise work over the engine's threads (`GEMM.threadCount`, the
/// count `GEMM.setThreadCount` sets for BLAS too).
///
/// Matrix products run on every core through BLAS, so with the rest of a training step on one
/// thread, that rest (activations, layer norms, softmax, cross-entropy, the optimiser) took a
/// third of a Transformer step on two cores. Small pieces of work stay on the calling thread:
/// waking another costs a few microseconds.
enum Parallel {
    /// The least work (roughly, elements touched) worth giving to a second thread.
    static let minimumWorkPerPart = 1 << 15

    /// Calls `body` on disjoint ranges that cover `0..<units`, concurrently when the work is
    /// large enough. `costPerUnit` is the work of one unit (1 for an element, the width of a row).
    ///
    /// `body` must only write what its own range owns.
    @inline(__always)
    static func forEachPart(units: Int, costPerUnit: Int = 1, _ body: (Range<Int>) -> Void) {
        forEachPart(units: units, parts: partCount(units: units, costPerUnit: costPerUnit)) { _, range in body(range) }
    }

    /// The number of parts `forEachPart` uses, for callers that keep per-part partial sums.
    static func partCount(units: Int, costPerUnit: Int = 1) -> Int {
        Swift.max(1, Swift.min(GEMM.threadCount, units, units * Swift.max(costPerUnit, 1) / minimumWorkPerPart))
    }

    /// Calls `body(part, range)` for exactly `parts` parts covering `0..<units`, concurrently.
    @inline(__always)
    static func forEachPart(units: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
        if parts <= 1 {
            body(0, 0..<units)
            return
        }
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            body(part, (units * part / parts)..<(units * (part + 1) / parts))
        }
    }
}
