import Foundation
import Seq
import TestSupport
import Testing

/// The Transformer's blocks on their own: gradients by central differences, and forward values
/// against an independent NumPy implementation (`scripts/make_transformer_fixtures.py`).
@Suite("Transformer layers")
struct TransformerLayerTests {
    // MARK: Gradients

    @Test("multi-head attention: gradients of queries, memory and every projection")
    func attentionGradients() {
        let attention = MultiHeadAttention(modelSize: 8, heads: 2, generator: RandomGenerator(seed: 3))
        let queries = randomTensor([2, 3, 8], seed: 10), memory = randomTensor([2, 4, 8], seed: 11)
        let mask = TokenBatch(ids: Array(repeating: 1, count: 8), lengths: [4, 2], length: 4).paddingMask
        let inputs = checkGradients([queries, memory]) { x in attention(x[0], memory: x[1], mask: mask).output }
        #expect(inputs.passed, "\(inputs)")
        // The weights are an output too (guided-alignment losses differentiate them).
        let weights = checkGradients([queries, memory]) { x in attention(x[0], memory: x[1], mask: mask).weights }
        #expect(weights.passed, "\(weights)")
        let selfAttention = checkGradients([queries]) { x in attention(x[0], memory: x[0], mask: Tensor(shape: [3, 3], scalars: [0, 1, 1, 0, 0, 1, 0, 0, 0])).output }
        #expect(selfAttention.passed, "\(selfAttention)")
        let parameters = checkParameterGradients(of: attention) { attention(queries, memory: memory, mask: mask).output }
        #expect(parameters.passed, "\(parameters)")
        #expect(parameters.compared == 4 * (64 + 8))
    }

    @Test("encoder layer: gradients of the input and every parameter", arguments: [NormalizationPlacement.pre, .post])
    func encoderLayerGradients(_ normalization: NormalizationPlacement) {
        // GELU rather than ReLU: central differences across ReLU's kink would be meaningless.
        let layer = TransformerEncoderLayer(
            modelSize: 8, heads: 2, feedForwardSize: 12, activation: .gelu, normalization: normalization,
            generator: RandomGenerator(seed: 5))
        TransformerTests.randomizeNorms(layer)
        let x = randomTensor([2, 3, 8], seed: 12)
        let mask = TokenBatch(ids: Array(repeating: 1, count: 6), lengths: [3, 2], length: 3).paddingMask
        let input = checkGradients([x]) { x in layer(x[0], mask: mask).output }
        #expect(input.passed, "\(input)")
        let parameters = checkParameterGradients(of: layer) { layer(x, mask: mask).output }
        #expect(parameters.passed, "\(parameters)")
    }

    @Test("decoder layer: gradients of the input, the memory and every parameter")
    func decoderLayerGradients() {
        let layer = TransformerDecoderLayer(
            modelSize: 8, heads: 2, feedForwardSize: 12, activation: .gelu, generator: RandomGenerator(seed: 6))
        TransformerTests.randomizeNorms(layer)
        let x = randomTensor([2, 3, 8], seed: 13), memory = randomTensor([2, 4, 8], seed: 14)
        let selfMask = Tensor(shape: [3, 3], scalars: [0, 1, 1, 0, 0, 1, 0, 0, 0])
        let sourceMask = TokenBatch(ids: Array(repeating: 1, count: 8), lengths: [4, 1], length: 4).paddingMask
        func run(_ x: Tensor, _ memory: Tensor) -> Tensor {
            var cache: KeyValueCache? = nil
            return layer(x, selfMask: selfMask, cache: &cache, memory: layer.crossAttention.keysAndValues(memory), sourceMask: sourceMask).output
        }
        let inputs = checkGradients([x, memory]) { run($0[0], $0[1]) }
        #expect(inputs.passed, "\(inputs)")
        let parameters = checkParameterGradients(of: layer) { run(x, memory) }
        #expect(parameters.passed, "\(parameters)")
    }

    // MARK: Decoding steps

    @Test("a key/value cache appends in place past its room, and a copy appends without touching the original")
    func keyValueCache() {
        func random(_ n: Int, _ seed: Int) -> Tensor { randomTensor([2, 3, n, 4], seed: UInt64(seed)) }
        var cache = KeyValueCache(batch: 2, heads: 3, headSize: 4)
        var keys: [Tensor] = [], values: [Tensor] = []
        var copy: KeyValueCache?
        for t in 0..<19 {
            let n = t % 4 == 0 ? 2 : 1, k = random(n, 100 + t), v = random(n, 200 + t)
            cache.append(keys: k, values: v)
            keys.append(k)
            values.append(v)
            #expect(cache.length == keys.map { $0.shape[2] }.reduce(0, +))
            #expect(cache.filled.keys.scalars == Tensor.concatenate(keys, axis: 2).scalars, "keys after \(t + 1) appends")
            #expect(cache.filled.values.scalars == Tensor.concatenate(values, axis: 2).scalars, "values after \(t + 1) appends")
            #expect(cache.capacity >= cache.length && cache.capacity <= cache.length * 2 + 8, "room \(cache.capacity) for \(cache.length)")
            if t == 2 {
                // A copy with room left shares the buffers until one of the two writes.
                copy = cache
                copy!.append(keys: random(1, 300), values: random(1, 400))
            }
        }
        // Each wrote its own position 4: the original's appends did not overwrite the copy's.
        #expect(copy!.filled.keys.scalars == Tensor.concatenate(Array(keys.prefix(3)) + [random(1, 300)], axis: 2).scalars)
        #expect(copy!.filled.values.scalars == Tensor.concatenate(Array(values.prefix(3)) + [random(1, 400)], axis: 2).scalars)
    }

    @Test("one query position per row: the kernel and the portable loops give what the batched products give, with padding, an empty source, rows mapped to sources and spare room")
    func attendOnePosition() {
        let attention = MultiHeadAttention(modelSize: 8, heads: 2, generator: RandomGenerator(seed: 3))
        let keys = randomTensor([3, 2, 7, 4], seed: 31), values = randomTensor([3, 2, 7, 4], seed: 32)
        let mask = TokenBatch(ids: Array(repeating: 1, count: 15), lengths: [5, 0, 3], length: 5).paddingMask  // [3, 1, 1, 5]
        let sources = [2, 0, 0, 1], queries = randomTensor([4, 1, 8], seed: 33)
        let (output, weights) = withoutGradients {
            attention.attendOnePosition(queries, keys: keys, values: values, length: 5, mask: mask, sources: sources)
        }
        // The portable loops (where the kernel ran above) give the same, and so does every form of
        // the kernel, also with heads of 19 (8-lane vectors and parts of them; the heads above
        // are of 4).
        let wide = MultiHeadAttention(modelSize: 38, heads: 2, generator: RandomGenerator(seed: 4))
        let wideKeys = randomTensor([3, 2, 7, 19], seed: 34), wideValues = randomTensor([3, 2, 7, 19], seed: 35)
        let wideQueries = randomTensor([4, 1, 38], seed: 36)
        func attend(_ attention: MultiHeadAttention, _ queries: Tensor, _ keys: Tensor, _ values: Tensor) -> (output: Tensor, weights: Tensor) {
            withoutGradients { attention.attendOnePosition(queries, keys: keys, values: values, length: 5, mask: mask, sources: sources) }
        }
        let (portable, widePortable) = MultiHeadAttention.$attendsInC.withValue(false) {
            (attend(attention, queries, keys, values), attend(wide, wideQueries, wideKeys, wideValues))
        }
        #expect(maximumDifference(portable.weights.scalars, weights.scalars) <= 1e-6)
        #expect(maximumDifference(portable.output.scalars, output.scalars) <= 1e-6)
        GEMMTests.forEachForm(GEMMTests.kernelForms.filter { $0 != .portable }) { form in
            for (kernel, expected) in [(attend(attention, queries, keys, values), portable), (attend(wide, wideQueries, wideKeys, wideValues), widePortable)] {
                #expect(maximumDifference(kernel.weights.scalars, expected.weights.scalars) <= 1e-6, "\(form)")
                #expect(maximumDifference(kernel.output.scalars, expected.output.scalars) <= 1e-6, "\(form)")
            }
        }
        // The reference: batched products (taken while gradients are recorded) over each row's
        // entry's first five positions.
        let filled = KeyValueCache(keys: keys, values: values, length: 5).filled
        let (expectedOutput, expectedWeights) = attention.attend(
            queries, keys: filled.keys.gatherRows(sources), values: filled.values.gatherRows(sources), mask: mask.gatherRows(sources))
        #expect(weights.shape == [4, 2, 1, 5] && output.shape == [4, 1, 8])
        #expect(maximumDifference(weights.scalars, expectedWeights.scalars) <= 1e-6)
        #expect(maximumDifference(output.scalars, expectedOutput.scalars) <= 1e-6)
        // The row of the empty source attends to nothing; the row of the source of three to three.
        #expect(weights.scalars[(3 * 2 * 5)...].allSatisfy { $0 == 0 })
        #expect(weights.scalars[0..<5].suffix(2).allSatisfy { $0 == 0 } && abs(weights.scalars[0..<5].reduce(0, +) - 1) <= 1e-6)
        // Decoding (no gradients) sends `attend` itself to these loops, with the same results.
        let (stepOutput, _) = withoutGradients {
            attention.attend(queries, keys: filled.keys, values: filled.values, mask: mask, sources: sources)
        }
        #expect(maximumDifference(stepOutput.scalars, expectedOutput.scalars) <= 1e-6)
    }

    // MARK: Parity with NumPy

    struct AttentionCase: Decodable {
        let modelSize: Int, heads: Int
        let memoryLengths: [Int]
        let parameters: [String: FixtureTensor]
        let queries: FixtureTensor, memory: FixtureTensor, output: FixtureTensor, weights: FixtureTensor
    }

    struct EncoderCase: Decodable {
        let name: String
        let modelSize: Int, heads: Int, feedForwardSize: Int
        let normalization: NormalizationPlacement, activation: Activation
        let lengths: [Int]
        let parameters: [String: FixtureTensor]
        let input: FixtureTensor, output: FixtureTensor, attention: FixtureTensor
    }

    struct Fixture: Decodable {
        let attention: AttentionCase
        let encoderLayers: [EncoderCase]
    }

    static func loadFixture() throws -> Fixture { try NumPyFixtures.load("transformer", as: Fixture.self) }

    @Test("multi-head attention with a padding mask matches NumPy")
    func attentionParity() throws {
        let fixture = try Self.loadFixture().attention
        let attention = MultiHeadAttention(modelSize: fixture.modelSize, heads: fixture.heads, generator: RandomGenerator(seed: 1))
        try NumPyFixtures.load(fixture.parameters, into: attention, usingEvery: true)
        let mask = TokenBatch(
            ids: Array(repeating: 1, count: fixture.memoryLengths.count * fixture.memory.shape[1]),
            lengths: fixture.memoryLengths, length: fixture.memory.shape[1]
        ).paddingMask
        let (output, weights) = withoutGradients { attention(fixture.queries.tensor, memory: fixture.memory.tensor, mask: mask) }
        NumPyFixtures.expectMatches(output, fixture.output, "output")
        NumPyFixtures.expectMatches(weights, fixture.weights, "weights")
    }

    @Test("a full encoder layer matches NumPy (pre-norm ReLU, post-norm GELU)")
    func encoderLayerParity() throws {
        let cases = try Self.loadFixture().encoderLayers
        #expect(Set(cases.map(\.normalization)) == [.pre, .post])
        for fixture in cases {
            let layer = TransformerEncoderLayer(
                modelSize: fixture.modelSize, heads: fixture.heads, feedForwardSize: fixture.feedForwardSize,
                activation: fixture.activation, normalization: fixture.normalization, generator: RandomGenerator(seed: 1))
            try NumPyFixtures.load(fixture.parameters, into: layer, usingEvery: true)
            let length = fixture.input.shape[1]
            let mask = TokenBatch(ids: Array(repeating: 1, count: fixture.lengths.count * length), lengths: fixture.lengths, length: length).paddingMask
            let (output, attention) = withoutGradients { layer(fixture.input.tensor, mask: mask) }
            NumPyFixtures.expectMatches(output, fixture.output, "\(fixture.name) output")
            NumPyFixtures.expectMatches(attention, fixture.attention, "\(fixture.name) attention")
        }
    }
}
