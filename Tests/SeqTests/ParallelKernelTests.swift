import Foundation
import Seq
import TestSupport
import Testing

/// Element-wise and row-wise kernels split their work over the engine's threads once tensors
/// are large (the gradient checks use small ones, which stay on one thread). The values and
/// gradients must not depend on the split, to the bit: then training gives the same figures
/// whatever the team's size (BLAS's products too, cut into as many bands on any thread count).
@Suite("Work split over threads")
struct ParallelKernelTests {
    /// Values and input gradients of `function` with the engine on `threads` threads.
    func evaluate(threads: Int, _ inputs: [Tensor], _ function: ([Tensor]) -> Tensor) -> [[Float]] {
        GEMM.withThreadCount(threads) { evaluate(inputs, function) }
    }

    func evaluate(_ inputs: [Tensor], _ function: ([Tensor]) -> Tensor) -> [[Float]] {
        let parameters = inputs.map { Parameter($0) }
        let output = function(parameters.map(\.value))
        let weights = randomTensor(output.shape, seed: 99)
        (output * weights).sum().backward()
        return [output.scalars] + parameters.map(\.gradient.scalars)
    }

    func expectSplitInvariant(
        _ name: String, _ inputs: [Tensor], _ function: ([Tensor]) -> Tensor,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let one = evaluate(threads: 1, inputs, function)
        let two = evaluate(threads: 2, inputs, function)
        // A wrongly split range would leave whole rows unwritten or doubled; partial sums kept
        // per thread (a loss, a gain's gradient) would move the last digits.
        for (index, (a, b)) in zip(one, two).enumerated() {
            let same = a == b   // not inside #expect, which would print both arrays
            #expect(same, "\(name), \(index == 0 ? "value" : "gradient \(index)"): one thread vs two differ by \(maximumDifference(a, b))",
                    sourceLocation: sourceLocation)
        }
    }

    @Test("element-wise, broadcast, softmax, layer norm, cross-entropy, additive scores: one thread equals two, bit for bit")
    func splitDoesNotChangeResults() {
        let x = randomTensor([300, 512], seed: 1), y = randomTensor([300, 512], in: 0.5...2, seed: 2)
        let row = randomTensor([512], in: 0.5...2, seed: 3), scalar = randomTensor([], in: 0.5...2, seed: 4)
        expectSplitInvariant("same-shape arithmetic", [x, y]) { ($0[0] * $0[1] + $0[0]) / $0[1] - $0[1] }
        expectSplitInvariant("trailing vector", [x, row]) { $0[0] * $0[1] + $0[1] }
        expectSplitInvariant("vector first", [row, x]) { $0[0] - $0[1] }
        expectSplitInvariant("scalar", [x, scalar]) { $0[0] * $0[1] }
        expectSplitInvariant("activations", [x]) { $0[0].tanh() + $0[0].sigmoid() + $0[0].relu() + $0[0].gelu() + $0[0].exp() }
        expectSplitInvariant("log and sqrt", [y]) { $0[0].log() + $0[0].sqrt() }
        expectSplitInvariant("softmax", [x]) { $0[0].softmax() }
        expectSplitInvariant("log-softmax", [x]) { $0[0].logSoftmax() }
        let gain = randomTensor([512], in: 0.5...2, seed: 5), bias = randomTensor([512], seed: 6)
        expectSplitInvariant("layer norm", [x, gain, bias]) { $0[0].layerNormalized(gain: $0[1], bias: $0[2]) }
        let targets = (0..<300).map { $0 % 7 == 0 ? 0 : ($0 * 37) % 512 }
        expectSplitInvariant("cross-entropy", [x]) {
            Tensor.crossEntropy(logits: $0[0], targets: targets, labelSmoothing: 0.1, ignoredIndex: 0)
        }
        // Copies split by runs of the last axis, each share starting mid-way through the others.
        let heads = randomTensor([6, 50, 4, 48], seed: 7)
        expectSplitInvariant("permute", [heads]) { $0[0].permuted([0, 2, 1, 3]) * 2 + $0[0].permuted([2, 0, 3, 1]).permuted([1, 0, 3, 2]) }
        // Bias rows copied, the bias gradient summed by bands of columns, the weight gradient
        // accumulated in place; an input used twice gathers two gradients.
        let weight = randomTensor([256, 512], seed: 8), shared = randomTensor([512, 200], seed: 9)
        expectSplitInvariant("affine", [x, weight, row.sliced(axis: 0, 0..<256)]) {
            Tensor.affine($0[0], weight: $0[1], bias: $0[2]) * 2 + Tensor.affine($0[0], weight: $0[1], bias: $0[2])
        }
        expectSplitInvariant("shared weight", [x.reshaped([3, 100, 512]), shared]) { Tensor.matmul($0[0], $0[1]) + $0[0].sliced(axis: 2, 0..<200) }
        // Bahdanau's scores: v's gradient summed over sentences, in parts.
        let keys = randomTensor([24, 30, 64], seed: 11), query = randomTensor([24, 64], seed: 12), v = randomTensor([64], seed: 13)
        expectSplitInvariant("additive scores", [keys, query, v]) { Tensor.additiveScores(keys: $0[0], query: $0[1], v: $0[2]) }
        // The same mask whatever the split (it is drawn by element index).
        expectSplitInvariant("dropout", [x]) { $0[0].dropout(probability: 0.3, generator: RandomGenerator(seed: 10)) }
    }

    @Test("Adam takes the same step on one thread and on two")
    func adamSplit() {
        func train(threads: Int) -> [Float] { GEMM.withThreadCount(threads) { train() } }
        func train() -> [Float] {
            let weights = Parameter(randomTensor([400, 300], seed: 7))
            let list = ParameterList(named: [("w", weights)])
            let adam = Adam(parameters: list, learningRate: 1e-2, weightDecay: .l2(0.01))
            for step in 0..<3 {
                let target = randomTensor([400, 300], seed: UInt64(10 + step))
                let loss = ((weights.value - target) * (weights.value - target)).sum()
                list.zeroGradients()
                loss.backward()
                adam.step()
            }
            return weights.value.scalars
        }
        let one = train(threads: 1), two = train(threads: 2)
        #expect(one == two, "Adam differs by \(maximumDifference(one, two))")
    }

    @Test("row log-sum-exp equals a double-precision reference on one thread and two, −∞ included")
    func rowLogSumExp() {
        var values = randomTensor([40, 8003], in: -30...30, seed: 21).scalars
        for j in stride(from: 0, to: 8003, by: 7) { values[3 * 8003 + j] = -.infinity }   // some ids forbidden
        for j in 0..<8003 { values[5 * 8003 + j] = -.infinity }                           // every id forbidden
        let x = Tensor(shape: [40, 8003], scalars: values)
        for threads in [1, 2] {
            let sums = GEMM.withThreadCount(threads) { x.rowLogSumExp() }
            #expect(sums.count == 40)
            for r in 0..<40 {
                let row = values[(r * 8003)..<((r + 1) * 8003)].map(Double.init)
                let peak = row.max()!
                let expected = peak.isFinite ? peak + Foundation.log(row.reduce(0) { $0 + Foundation.exp($1 - peak) }) : peak
                if expected.isFinite {
                    #expect(abs(Double(sums[r]) - expected) <= 1e-5 * abs(expected) + 1e-5, "row \(r), \(threads) threads: \(sums[r]) vs \(expected)")
                } else {
                    #expect(sums[r] == -.infinity, "row \(r) is all −∞ but its log-sum-exp is \(sums[r])")
                }
            }
        }
    }
}
