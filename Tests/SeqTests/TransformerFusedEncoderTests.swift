import Seq
import TestSupport
import Testing

/// The fused batch-1 encoder (`Transformer.fusedEncode`) against the encoder through tensor
/// operations, on each form of the kernels the CPU runs (AVX-512 and AVX2).
@Suite("Fused Transformer encoder")
struct TransformerFusedEncoderTests {
    static let forms = TransformerFusedStepTests.forms

    /// The encoding of `source` through both paths, compared: source mask, the decoder's
    /// cross-attention keys and values, the encoder's attention maps.
    static func encodeBoth(_ model: Transformer, _ source: TokenBatch, _ label: String) -> DecoderState? {
        let fused = withoutGradients { model.fusedEncode(source) }
        let reference = Transformer.$fusesEncoding.withValue(false) { withoutGradients { model.encode(source) } }
        guard let fused else { return nil }
        #expect(fused.sourceLengths == reference.sourceLengths && fused.step == 0 && fused.tensors.isEmpty)
        #expect(Set(fused.sourceTensors.keys) == Set(reference.sourceTensors.keys), "\(label)")
        for (name, tensor) in reference.sourceTensors {
            guard let mine = fused.sourceTensors[name] else { continue }
            #expect(mine.shape == tensor.shape, "\(label): \(name) is \(mine.shape), not \(tensor.shape)")
            if mine.shape == tensor.shape {
                let difference = maximumDifference(mine.scalars, tensor.scalars)
                #expect(difference <= 2e-5, "\(label): \(name) differs by \(difference)")
            }
        }
        #expect(fused.encoderAttention.count == reference.encoderAttention.count)
        for (layer, (a, b)) in zip(fused.encoderAttention, reference.encoderAttention).enumerated() {
            #expect(a.shape == b.shape, "\(label): attention of layer \(layer) is \(a.shape), not \(b.shape)")
            if a.shape == b.shape {
                #expect(maximumDifference(a.scalars, b.scalars) <= 2e-6, "\(label): attention of layer \(layer)")
            }
        }
        return fused
    }

    @Test("a fused encoder equals the encoder through tensor operations: one position, twenty, padding, and after a write",
          arguments: TransformerFusedStepTests.variants.indices, [1, 2])
    func matchesTensorPath(variant: Int, threads: Int) throws {
        try GEMM.withThreadCount(threads) {
            try GEMMTests.forEachForm(Self.forms) { form in
                let model = try TransformerFusedStepTests.model(TransformerFusedStepTests.variants[variant])
                let parameters = ParameterList(model)
                let label = "\(form), \(threads) threads"
                let sentences: [TokenBatch] = [
                    TokenBatch([[7]], paddingID: 0),
                    TokenBatch([(0..<20).map { 3 + $0 * 7 % 37 }], paddingID: 0),
                    // One sentence with padding after it: the padding is hidden from every query.
                    TokenBatch(ids: [3, 9, 14, 22, 5, 0, 0], lengths: [5], length: 7),
                ]
                for (i, source) in sentences.enumerated() {
                    #expect(Self.encodeBoth(model, source, "\(label), sentence \(i)") != nil, "\(label): declined")
                }
                // The pass reads copies of the weights: a write through the flat buffer must reach them.
                let values = parameters.values
                for i in 0..<values.count { values.pointer[i] *= 1.01 }
                #expect(Self.encodeBoth(model, sentences[1], "\(label), after a write") != nil)
            }
        }
    }

    @Test("a fused encoder gives the same bits on one thread, on two and on a busy team; greedy decoding after it matches the tensor path's")
    func sameBitsAndDecoding() throws {
        try GEMMTests.forEachForm(Self.forms) { form in
            let model = try TransformerFusedStepTests.model(TransformerFusedStepTests.variants[1])
            let source = TokenBatch([[3, 4, 5, 6, 7, 8, 9, 10, 11]], paddingID: 0)
            func keys() -> [Float] {
                withoutGradients { model.fusedEncode(source) }?.sourceTensors["decoder.layers.1.crossValues"]?.scalars ?? []
            }
            let two = GEMM.withThreadCount(2) { keys() }
            let one = GEMM.withThreadCount(1) { keys() }
            var alone: [Float] = []
            Parallel.run(parts: 2) { part in
                if part == 0 { alone = keys() }
            }
            #expect(!two.isEmpty && two == one && two == alone, "\(form)")
            // A decoding step on the fused encoding against one on the tensor path's.
            var state = try #require(withoutGradients { model.fusedEncode(source) })
            var reference = Transformer.$fusesEncoding.withValue(false) { withoutGradients { model.encode(source) } }
            for (t, token) in [1, 9, 30].enumerated() {
                TransformerFusedStepTests.stepBoth(model, [token], &state, &reference, "\(form), step \(t) after the fused encoder")
            }
        }
    }

    @Test("two sentences, gradient recording, dropout in training, bfloat16 panels and the portable kernels take the general path")
    func declines() throws {
        let model = try TransformerFusedStepTests.model(TransformerFusedStepTests.variants[0])
        let one = TokenBatch([[3, 4, 5]], paddingID: 0)
        #expect(withoutGradients { model.fusedEncode(TokenBatch([[3, 4, 5], [6]], paddingID: 0)) } == nil)
        #expect(model.fusedEncode(one) == nil)   // gradients recorded
        model.setTraining(true)
        #expect(withoutGradients { model.fusedEncode(one) } == nil)
        model.setTraining(false)
        GEMM.withKernelForm(.portable) {
            #expect(withoutGradients { model.fusedEncode(one) } == nil)
        }
        GEMMTests.forEachForm(Self.forms) { form in
            #expect(withoutGradients { model.fusedEncode(one) } != nil, "\(form)")
            model.setPanelPrecision(.bfloat16)
            #expect(withoutGradients { model.fusedEncode(one) } == nil, "\(form): bfloat16 panels")
            model.setPanelPrecision(.float32)
            #expect(withoutGradients { model.fusedEncode(one) } != nil, "\(form): float32 again")
        }
    }
}
