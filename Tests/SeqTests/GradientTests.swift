import Foundation
import Seq
import TestSupport
import Testing

/// Central-difference checks of every primitive's backward rule (reference in Double).
@Suite("Gradients of every operation")
struct GradientTests {
    func expectGradients(_ inputs: [Tensor], _ function: ([Tensor]) -> Tensor, sourceLocation: SourceLocation = #_sourceLocation) {
        let result = checkGradients(inputs, function)
        #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
    }

    @Test("add, subtract, multiply, divide: same shape")
    func binarySameShape() {
        let a = randomTensor([3, 4], seed: 1), b = randomTensor([3, 4], in: 0.5...2, seed: 2)
        expectGradients([a, b]) { $0[0] + $0[1] }
        expectGradients([a, b]) { $0[0] - $0[1] }
        expectGradients([a, b]) { $0[0] * $0[1] }
        expectGradients([a, b]) { $0[0] / $0[1] }
    }

    @Test("broadcasting: trailing vector bias")
    func trailingBias() {
        let x = randomTensor([2, 3, 4], seed: 3), bias = randomTensor([4], in: 0.5...2, seed: 4)
        expectGradients([x, bias]) { $0[0] + $0[1] }
        expectGradients([x, bias]) { $0[0] * $0[1] }
        expectGradients([x, bias]) { $0[1] / $0[0].sigmoid() }
        expectGradients([x, bias]) { $0[0] - $0[1] }
    }

    @Test("broadcasting: scalar")
    func scalar() {
        let x = randomTensor([3, 5], seed: 5), s = randomTensor([], in: 0.5...2, seed: 6)
        expectGradients([x, s]) { $0[0] * $0[1] }
        expectGradients([x, s]) { $0[1] - $0[0] }
        expectGradients([x, s]) { $0[0] / $0[1] }
    }

    @Test("broadcasting over leading batch axes and size-1 axes")
    func leadingAndMiddle() {
        let x = randomTensor([2, 3, 4], seed: 7)
        let perPosition = randomTensor([3, 4], seed: 8)
        let perBatch = randomTensor([2, 1, 4], seed: 9)
        let column = randomTensor([2, 3, 1], in: 0.5...2, seed: 10)
        expectGradients([x, perPosition]) { $0[0] * $0[1] }
        expectGradients([x, perBatch]) { $0[0] + $0[1] }
        expectGradients([x, column]) { $0[0] / $0[1] }
        // Both operands stretched: [3, 1] against [1, 4].
        expectGradients([randomTensor([3, 1], seed: 11), randomTensor([1, 4], seed: 12)]) { $0[0] * $0[1] }
    }

    @Test("fused additive-attention scores: gradients, and values equal to the composed form")
    func additiveScores() {
        let keys = randomTensor([2, 3, 4], seed: 41), query = randomTensor([2, 4], seed: 42), v = randomTensor([1, 4], seed: 43)
        expectGradients([keys, query, v]) { Tensor.additiveScores(keys: $0[0], query: $0[1], v: $0[2]) }
        let fused = Tensor.additiveScores(keys: keys, query: query, v: v)
        let composed = Tensor.matmul((keys + query.reshaped([2, 1, 4])).tanh().reshaped([6, 4]), v, transposeB: true).reshaped([2, 3])
        #expect(isClose(fused.scalars, composed.scalars), "fused \(fused.scalars) vs composed \(composed.scalars)")
    }

    @Test("affine map x·Wᵀ + b, b per row or full-shaped: gradients on batches of rows and of sequences, values equal to matmul plus bias")
    func affine() {
        let weight = randomTensor([5, 4], seed: 44), bias = randomTensor([5], seed: 45)
        for shape in [[3, 4], [2, 3, 4]] {
            let x = randomTensor(shape, seed: 46)
            expectGradients([x, weight, bias]) { Tensor.affine($0[0], weight: $0[1], bias: $0[2]) }
            let fused = Tensor.affine(x, weight: weight, bias: bias)
            let composed = Tensor.matmul(x, weight, transposeB: true) + bias
            #expect(isClose(fused.scalars, composed.scalars), "fused \(fused.scalars) vs composed \(composed.scalars)")
            // A bias with the output's own shape (a recurrent cell's projected input).
            let full = randomTensor(Array(shape.dropLast()) + [5], seed: 47)
            expectGradients([x, weight, full]) { Tensor.affine($0[0], weight: $0[1], bias: $0[2]) }
            let added = Tensor.affine(x, weight: weight, bias: full)
            let reference = Tensor.matmul(x, weight, transposeB: true) + full
            #expect(isClose(added.scalars, reference.scalars), "full-shaped bias: \(added.scalars) vs \(reference.scalars)")
        }
    }

    @Test("element-wise functions")
    func unary() {
        let x = randomTensor([4, 5], in: -2...2, seed: 13)
        expectGradients([x]) { $0[0].tanh() }
        expectGradients([x]) { $0[0].sigmoid() }
        expectGradients([x]) { $0[0].gelu() }
        expectGradients([x]) { $0[0].exp() }
        expectGradients([x]) { -$0[0] }
        let positive = randomTensor([4, 5], in: 0.5...3, seed: 14)
        expectGradients([positive]) { $0[0].log() }
        expectGradients([positive]) { $0[0].sqrt() }
        // relu away from its kink at 0, where the derivative is undefined.
        let awayFromZero = Tensor(shape: [6], scalars: [-1.5, -0.7, -0.2, 0.3, 0.9, 2.0])
        expectGradients([awayFromZero]) { $0[0].relu() }
    }

    @Test("softmax and log-softmax over the last axis")
    func softmaxes() {
        let x = randomTensor([3, 6], in: -3...3, seed: 15)
        expectGradients([x]) { $0[0].softmax() }
        expectGradients([x]) { $0[0].logSoftmax() }
    }

    @Test("sums and means")
    func reductions() {
        let x = randomTensor([2, 3, 4], seed: 16)
        expectGradients([x]) { $0[0].sum() }
        expectGradients([x]) { $0[0].mean() }
        for axis in 0..<3 {
            expectGradients([x]) { $0[0].sum(axis: axis) }
            expectGradients([x]) { $0[0].mean(axis: axis, keepingAxis: true) }
        }
    }

    @Test("reshape, permute, transpose")
    func shapes() {
        let x = randomTensor([2, 3, 4], seed: 17)
        expectGradients([x]) { $0[0].reshaped([6, 4]) * $0[0].reshaped([6, 4]) }
        expectGradients([x]) { $0[0].permuted([2, 0, 1]) }
        expectGradients([x]) { $0[0].transposed(0, 1) }
    }

    @Test("concatenate, slice, split")
    func joinsAndCuts() {
        let a = randomTensor([2, 3], seed: 18), b = randomTensor([2, 2], seed: 19), c = randomTensor([1, 3], seed: 20)
        expectGradients([a, b]) { Tensor.concatenate([$0[0], $0[1]], axis: 1) }
        expectGradients([a, c]) { Tensor.concatenate([$0[0], $0[1], $0[0]], axis: 0) }
        let x = randomTensor([3, 5, 2], seed: 21)
        expectGradients([x]) { $0[0].sliced(axis: 1, 1..<4) }
        expectGradients([x]) { inputs in
            let parts = inputs[0].split(axis: 1, sizes: [2, 3])
            return parts[0].sum(axis: 1) * parts[1].sum(axis: 1)
        }
    }

    @Test("matmul: 2-D with every transpose combination", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmul2D(transposeA: Bool, transposeB: Bool) {
        let a = randomTensor(transposeA ? [4, 3] : [3, 4], seed: 22)
        let b = randomTensor(transposeB ? [5, 4] : [4, 5], seed: 23)
        expectGradients([a, b]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
    }

    @Test("matmul: batched, and a shared operand", arguments: [(false, false), (true, false), (false, true), (true, true)])
    func matmulBatched(transposeA: Bool, transposeB: Bool) {
        let a = randomTensor(transposeA ? [2, 3, 4, 3] : [2, 3, 3, 4], seed: 24)
        let b = randomTensor(transposeB ? [2, 3, 5, 4] : [2, 3, 4, 5], seed: 25)
        expectGradients([a, b]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        let sharedB = randomTensor(transposeB ? [5, 4] : [4, 5], seed: 26)
        expectGradients([a, sharedB]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
        let sharedA = randomTensor(transposeA ? [4, 3] : [3, 4], seed: 27)
        expectGradients([sharedA, b]) { Tensor.matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
    }

    @Test("matmul: many rows go through BLAS")
    func matmulLarge() {
        let a = randomTensor([9, 6], seed: 28), b = randomTensor([6, 7], seed: 29)
        expectGradients([a, b]) { Tensor.matmul($0[0], $0[1]) }
        expectGradients([a, randomTensor([7, 6], seed: 30)]) { Tensor.matmul($0[0], $0[1], transposeB: true) }
    }

    @Test("gather rows with repeated indices (embedding lookup)")
    func gather() {
        let table = randomTensor([5, 3], seed: 31)
        expectGradients([table]) { $0[0].gatherRows([4, 1, 4, 0, 4, 2], indexShape: [2, 3]) }
    }

    @Test("masked fill")
    func masked() {
        let x = randomTensor([2, 2, 3], seed: 32)
        let mask = Tensor(shape: [2, 1, 3], scalars: [0, 0, 1, 1, 0, 0])
        expectGradients([x]) { $0[0].maskedFill(mask, with: -5).softmax() }
        let filled = x.maskedFill(mask, with: -.infinity).softmax()
        #expect(filled[0, 0, 2] == 0 && filled[1, 1, 0] == 0)
    }

    @Test("dropout with a seeded generator")
    func dropout() {
        let x = randomTensor([4, 6], seed: 33)
        expectGradients([x]) { $0[0].dropout(probability: 0.3, generator: RandomGenerator(seed: 7)) }
        let dropped = x.dropout(probability: 0.5, generator: RandomGenerator(seed: 8))
        let zeros = dropped.scalars.filter { $0 == 0 }.count
        #expect(zeros > 4 && zeros < 20)
        let kept = zip(dropped.scalars, x.scalars).filter { $0.0 != 0 }
        #expect(kept.allSatisfy { abs($0.0 - 2 * $0.1) < 1e-6 })
    }

    @Test("layer normalisation")
    func layerNorm() {
        let x = randomTensor([3, 5], in: -2...2, seed: 34)
        let gain = randomTensor([5], in: 0.5...1.5, seed: 35), bias = randomTensor([5], seed: 36)
        expectGradients([x, gain, bias]) { $0[0].layerNormalized(gain: $0[1], bias: $0[2]) }
    }

    @Test("fused cross-entropy with label smoothing and padding", arguments: [Float(0), 0.1])
    func crossEntropy(smoothing: Float) {
        let logits = randomTensor([5, 7], in: -3...3, seed: 37)
        let targets = [3, 0, 6, 0, 1]  // 0 is padding
        expectGradients([logits]) {
            Tensor.crossEntropy(logits: $0[0], targets: targets, labelSmoothing: smoothing, ignoredIndex: 0)
        }
        expectGradients([logits]) {
            Tensor.crossEntropy(logits: $0[0], targets: targets, labelSmoothing: smoothing, reduction: .sum)
        }
    }

    @Test("fused cross-entropy equals the composed log-softmax form")
    func crossEntropyMatchesComposition() {
        let logits = randomTensor([4, 6], in: -4...4, seed: 38)
        let targets = [2, 5, 0, 1], smoothing: Float = 0.1
        let fused = Tensor.crossEntropy(logits: logits, targets: targets, labelSmoothing: smoothing, ignoredIndex: 0).scalar
        let logProbabilities = logits.logSoftmax()
        var composed: Float = 0
        var counted = 0
        for (row, target) in targets.enumerated() where target != 0 {
            let rowValues = (0..<6).map { logProbabilities[row, $0] }
            composed += -(1 - smoothing) * rowValues[target] - smoothing * rowValues.reduce(0, +) / 6
            counted += 1
        }
        #expect(abs(fused - composed / Float(counted)) < 1e-5)
    }

    @Test("the fused cross-entropy's own gradient (upstream 1, written in the forward pass) is (softmax − smoothed one-hot) / counted rows")
    func crossEntropyGradientAtTheLoss() {
        // Rows wider than a vector, a padding row, and a large logit (the shift must hold).
        let rows = 4, classes = 37, smoothing: Float = 0.1
        var values = randomTensor([rows, classes], in: -5...5, seed: 41).scalars
        values[2 * classes + 4] = 60
        let targets = [5, 0, 4, 36]  // 0 is padding
        let logits = Parameter(Tensor(shape: [rows, classes], scalars: values))
        Tensor.crossEntropy(logits: logits.value, targets: targets, labelSmoothing: smoothing, ignoredIndex: 0).backward()
        let gradient = logits.gradient.scalars
        var worst = 0.0
        for r in 0..<rows {
            let row = values[(r * classes)..<((r + 1) * classes)].map(Double.init)
            let top = row.max()!
            let total = row.reduce(0) { $0 + exp($1 - top) }
            for v in 0..<classes {
                var expected = 0.0
                if targets[r] != 0 {
                    let q = Double(smoothing) / Double(classes) + (v == targets[r] ? 1 - Double(smoothing) : 0)
                    expected = (exp(row[v] - top) / total - q) / 3   // three counted rows
                }
                worst = max(worst, abs(Double(gradient[r * classes + v]) - expected))
            }
        }
        #expect(worst < 1e-6, "largest difference \(worst)")
    }

    @Test("a chain through several operations and a shared input")
    func composite() {
        let x = randomTensor([3, 4], seed: 39), w = randomTensor([4, 4], seed: 40)
        expectGradients([x, w]) { inputs in
            let h = Tensor.matmul(inputs[0], inputs[1]).tanh()
            return (h * inputs[0]).layerNormalized(gain: Tensor(repeating: 1, shape: [4]), bias: Tensor(zeros: [4])).softmax()
        }
    }
}
