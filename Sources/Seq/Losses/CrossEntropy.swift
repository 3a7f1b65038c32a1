#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a loss over many tokens becomes one number.
public enum LossReduction: String, Codable, Sendable {
    /// The mean over counted (non-ignored) tokens.
    case mean
    /// The sum over counted tokens.
    case sum
}

extension Tensor {
    /// Cross-entropy of logits against target classes, fused with log-softmax, with label smoothing.
    ///
    /// For each row the target distribution is `(1−ε)·onehot(target) + ε/V` (Szegedy et al. 2016,
    /// the convention of PyTorch's `label_smoothing`), so the row loss is
    /// `−(1−ε)·log p(target) − ε·mean_v log p(v)`. Rows whose target is `ignoredIndex` (padding)
    /// count for nothing.
    ///
    /// - Parameters:
    ///   - logits: `[rows, V]` (any leading shape is flattened).
    ///   - targets: one class per row.
    /// - Returns: a scalar; with `.mean`, divided by the number of counted rows (0 if there are none).
    public static func crossEntropy(
        logits: Tensor, targets: [Int], labelSmoothing: Float = 0,
        ignoredIndex: Int? = nil, reduction: LossReduction = .mean
    ) -> Tensor {
        let classes = logits.shape.last ?? 1, rows = logits.count / Swift.max(classes, 1)
        precondition(targets.count == rows, "crossEntropy: \(targets.count) targets for \(rows) rows")
        precondition(labelSmoothing >= 0 && labelSmoothing < 1, "label smoothing \(labelSmoothing) outside [0, 1)")
        let x = logits.storage.pointer
        let counted = targets.reduce(0) { $0 + ($1 == ignoredIndex ? 0 : 1) }
        let scale: Float = reduction == .mean ? (counted > 0 ? 1 / Float(counted) : 0) : 1
        let smooth = labelSmoothing / Float(classes), confident = 1 - labelSmoothing
        // Per-row maximum and log-sum-exp of the shifted row, kept for the backward pass (kept
        // apart: adding them would round away the small differences of large logits).
        for target in targets where target != ignoredIndex {
            precondition(target >= 0 && target < classes, "target \(target) out of range 0..<\(classes)")
        }
        var shifts = [Float](repeating: 0, count: rows), logSums = [Float](repeating: 0, count: rows)
        // Rows are split over the threads; each part sums its own rows' losses.
        let parts = Parallel.partCount(units: rows, costPerUnit: classes)
        var partTotals = [Double](repeating: 0, count: parts)
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: parts * classes)
        defer { scratch.deallocate() }
        shifts.withUnsafeMutableBufferPointer { shifts in
            logSums.withUnsafeMutableBufferPointer { logSums in
                partTotals.withUnsafeMutableBufferPointer { partTotals in
                    Parallel.forEachPart(units: rows, parts: parts) { index, part in
                        let exps = scratch + index * classes
                        var total: Double = 0
                        for r in part {
                            let target = targets[r]
                            if target == ignoredIndex { continue }
                            let xr = x + r * classes
                            let shift = Kernels.maximum(xr, count: classes)
                            let logSum = logf(Kernels.shiftedExp(xr, shift: shift, into: exps, count: classes))
                            shifts[r] = shift
                            logSums[r] = logSum
                            let targetLogProbability = (xr[target] - shift) - logSum
                            var rowLoss = -confident * targetLogProbability
                            if labelSmoothing > 0 {
                                let meanLogProbability = Kernels.shiftedSum(xr, shift: shift, count: classes) / Float(classes) - logSum
                                rowLoss -= labelSmoothing * meanLogProbability
                            }
                            total += Double(rowLoss)
                        }
                        partTotals[index] = total
                    }
                }
            }
        }
        let total = partTotals.reduce(0, +)
        let result = Tensor(Float(total) * scale)
        guard tracks(logits) else { return result }
        let values = logits.detached()
        return result.recorded(from: [logits]) { g in
            // d loss / d logit_v = (softmax_v − q_v) · scale · g
            var dx = Tensor(zeros: values.shape)
            let d = dx.storage.pointer, x = values.storage.pointer
            let factor = g.scalar * scale
            Parallel.forEachPart(units: rows, costPerUnit: classes) { part in
                for r in part {
                    let target = targets[r]
                    if target == ignoredIndex { continue }
                    let xr = x + r * classes, dr = d + r * classes
                    let shift = shifts[r], logSum = logSums[r]
                    for v in 0..<classes { dr[v] = factor * (fastExp((xr[v] - shift) - logSum) - smooth) }
                    dr[target] -= factor * confident
                }
            }
            return [dx]
        }
    }
}
