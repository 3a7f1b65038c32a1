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
        for target in targets where target != ignoredIndex {
            precondition(target >= 0 && target < classes, "target \(target) out of range 0..<\(classes)")
        }
        // When the loss will be differentiated, each row's gradient is written in the same pass,
        // while the row is still in L1: d loss / d logit_v = (softmax_v − q_v) · scale, for an
        // upstream gradient of 1 (the backward pass rescales it otherwise). Computing it later
        // meant reading the logits (41 MB for a training batch over 8,000 words) a second time
        // and zeroing the gradient first.
        let gradient: Tensor? = tracks(logits) ? Tensor(uninitialized: logits.shape) : nil
        let d = gradient?.storage.pointer
        // Rows are split into parts (as many whatever the thread count); each sums its own rows' losses.
        let parts = Parallel.reductionPartCount(units: rows, costPerUnit: classes)
        var partTotals = [Double](repeating: 0, count: parts)
        let scratch = d == nil ? UnsafeMutablePointer<Float>.allocate(capacity: parts * classes) : nil
        defer { scratch?.deallocate() }
        partTotals.withUnsafeMutableBufferPointer { partTotals in
            Parallel.forEachPart(units: rows, parts: parts) { index, part in
                var total: Double = 0
                for r in part {
                    let target = targets[r]
                    if target == ignoredIndex {
                        d?.advanced(by: r * classes).update(repeating: 0, count: classes)
                        continue
                    }
                    let xr = x + r * classes
                    // The exponentials go where the row's gradient will be (or to scratch).
                    let exps = d.map { $0 + r * classes } ?? scratch! + index * classes
                    let shift = Kernels.maximum(xr, count: classes)
                    let sum = Kernels.shiftedExp(xr, shift: shift, into: exps, count: classes)
                    let logSum = logf(sum)
                    let targetLogProbability = (xr[target] - shift) - logSum
                    var rowLoss = -confident * targetLogProbability
                    if labelSmoothing > 0 {
                        let meanLogProbability = Kernels.shiftedSum(xr, shift: shift, count: classes) / Float(classes) - logSum
                        rowLoss -= labelSmoothing * meanLogProbability
                    }
                    total += Double(rowLoss)
                    if d != nil {
                        Kernels.scaleAndShift(exps, scale: scale / sum, shift: -scale * smooth, count: classes)
                        exps[target] -= scale * confident
                    }
                }
                partTotals[index] = total
            }
        }
        let total = partTotals.reduce(0, +)
        let result = Tensor(Float(total) * scale)
        guard let gradient else { return result }
        return result.recorded(from: [logits]) { g in
            let factor = g.scalar
            return [factor == 1 ? gradient : gradient * factor]
        }
    }
}
