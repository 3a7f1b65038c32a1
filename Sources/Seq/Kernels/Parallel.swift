import CKernels

/// Splits element-wise, row-wise and few-row matrix work over the engine's threads
/// (`GEMM.threadCount`, which `GEMM.setThreadCount` sets for BLAS too).
///
/// The threads are a team of workers that poll for the next job for a while before sleeping
/// (`parley_pool.c`): decoding one sentence is a chain of products that take a few microseconds
/// each, shorter than waking a sleeping thread, so with Dispatch a second thread made them slower.
/// The packed GEMM shares out its bands here too; before the rest of a training step
/// (activations, layer norms, softmax, cross-entropy, the optimiser) was split here, it took a
/// third of a Transformer step on two cores.
///
/// Callers outside the engine use `run(parts:_:)` for work that splits into shares needing no
/// synchronisation (decoding a large batch as one group of sentences per thread): operations
/// inside a share then run on that share's thread alone.
public enum Parallel {
    /// How many threads the team may use (set with `GEMM.setThreadCount`), the caller included.
    public static var threadCount: Int { GEMM.threadCount }

    /// The least work (roughly, elements touched) worth giving to a second thread.
    static let minimumWorkPerPart = 1 << 14

    /// Calls `body` on disjoint ranges that cover `0..<units`, concurrently when the work is
    /// large enough. `costPerUnit` is the work of one unit (1 for an element, the width of a row).
    ///
    /// `body` must only write what its own range owns.
    @inline(__always)
    static func forEachPart(units: Int, costPerUnit: Int = 1, _ body: (Range<Int>) -> Void) {
        forEachPart(units: units, parts: partCount(units: units, costPerUnit: costPerUnit)) { _, range in body(range) }
    }

    /// `y += x` over `count` elements, in shares over the team (a gradient added to another).
    static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        forEachPart(units: count) { part in Kernels.add(x + part.lowerBound, into: y + part.lowerBound, count: part.count) }
    }

    /// The number of parts `forEachPart` uses: one per thread at most (or up to `limit`), and
    /// none smaller than `minimumWorkPerPart`.
    static func partCount(units: Int, costPerUnit: Int = 1, limit: Int = GEMM.threadCount) -> Int {
        Swift.max(1, Swift.min(limit, units, units * Swift.max(costPerUnit, 1) / minimumWorkPerPart))
    }

    /// The most parts `reductionPartCount` gives.
    static let maximumReductionParts = 16

    /// The number of parts for work that keeps one partial sum per part (a loss, a layer norm's
    /// gain gradient), set by the work alone and not by the thread count: the partial sums, and
    /// so their total, are then the same on any number of threads, and training gives the same
    /// figures, bit for bit, with `--threads 1` as with 2. (With one part per thread a loss moved
    /// in its last digits whenever the thread count did.) The threads take parts as they finish
    /// others, so a few more parts than threads cost nothing measurable.
    static func reductionPartCount(units: Int, costPerUnit: Int = 1) -> Int {
        partCount(units: units, costPerUnit: costPerUnit, limit: maximumReductionParts)
    }

    /// Calls `body(part, range)` for exactly `parts` parts covering `0..<units`, concurrently.
    @inline(__always)
    static func forEachPart(units: Int, parts: Int, _ body: (Int, Range<Int>) -> Void) {
        if parts <= 1 {
            body(0, 0..<units)
            return
        }
        run(parts: parts) { part in body(part, (units * part / parts)..<(units * (part + 1) / parts)) }
    }

    /// Calls `body(part)` for every part in `0..<parts` on the worker team; returns when all have run.
    /// A call made while another job runs (from inside `body`, or from another thread) runs all of
    /// its parts on the calling thread.
    ///
    /// Parts run with the caller's kernel form (`GEMM.withKernelForm`), wherever they run.
    public static func run(parts: Int, _ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { body in
            var task: (Int) -> Void = body
            if let form = GEMM.chosenKernelForm {
                // The workers are not the caller's task: the form chosen for it is carried over.
                task = { part in GEMM.$chosenKernelForm.withValue(form) { body(part) } }
            }
            withUnsafeMutablePointer(to: &task) { task in
                parley_pool_run(Int32(parts), { context, part in
                    context!.assumingMemoryBound(to: ((Int) -> Void).self).pointee(Int(part))
                }, task)
            }
        }
    }
}
