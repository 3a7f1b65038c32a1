import Seq
import TestSupport
import Testing

/// The fused decoding step (`Transformer.fusedDecodeStep`) against the same step through tensor
/// operations, on each form of the kernels the CPU runs (AVX-512 and AVX2).
@Suite("Fused Transformer decoding step")
struct TransformerFusedStepTests {
    /// The forms the fused step runs on: not the portable one, where it declines.
    static let forms = GEMMTests.kernelForms.filter { $0 != .portable }

    /// `TransformerTests`' model made wide enough that two threads each take a share of every
    /// product's columns (64 and 88 columns, a vocabulary of 50), with a head width of 16 and a
    /// ragged inner width; dropout configured, to be switched off.
    static func configuration(
        _ normalization: NormalizationPlacement, activation: Activation, positions: PositionEncoding, tie: Bool
    ) -> ModelConfiguration {
        var c = TransformerTests.configuration(normalization, positions: positions, share: tie, tie: tie)
        c.sourceVocabularySize = tie ? 50 : 40
        c.targetVocabularySize = 50
        c.embeddingSize = 64
        c.feedForwardSize = 88
        c.activation = activation
        c.dropout = 0.1
        c.attentionDropout = 0.1
        return c
    }

    static let variants: [ModelConfiguration] = [
        configuration(.pre, activation: .relu, positions: .sinusoidal, tie: false),
        configuration(.post, activation: .gelu, positions: .sinusoidal, tie: true),
        configuration(.pre, activation: .gelu, positions: .learned, tie: true),
    ]

    static func model(_ c: ModelConfiguration) throws -> Transformer {
        let model = try Transformer(configuration: c, generator: RandomGenerator(seed: 5))
        TransformerTests.randomizeNorms(model)
        model.setTraining(false)
        return model
    }

    /// Steps `state` through the fused path and `reference` through tensor operations, and
    /// compares logits, both attention maps and the self-attention caches.
    @discardableResult
    static func stepBoth(
        _ model: Transformer, _ tokens: [Int], _ state: inout DecoderState, _ reference: inout DecoderState,
        _ label: String
    ) -> [Float] {
        let fused = withoutGradients { model.fusedDecodeStep(tokens, state: &state) }
        let (logits, maps) = Transformer.$fusesDecodingSteps.withValue(false) {
            withoutGradients { model.decodeStep(tokens, state: &reference) }
        }
        guard let fused else {
            #expect(GEMM.kernelForm == .portable, "\(label): the fused step declined \(tokens.count) rows")
            _ = withoutGradients { model.decodeStep(tokens, state: &state) }
            return logits.scalars
        }
        #expect(fused.logits.shape == logits.shape)
        if fused.logits.shape == logits.shape {
            let difference = maximumDifference(fused.logits.scalars, logits.scalars)
            #expect(difference <= 2e-5, "\(label): logits differ by \(difference)")
        }
        for (name, maps) in [("cross", zip(fused.attention.cross, maps.cross)), ("self", zip(fused.attention.decoderSelf, maps.decoderSelf))] {
            for (layer, (a, b)) in maps.enumerated() {
                #expect(a.shape == b.shape, "\(label): \(name)-attention of layer \(layer) is \(a.shape), not \(b.shape)")
                if a.shape == b.shape {
                    #expect(maximumDifference(a.scalars, b.scalars) <= 2e-6, "\(label): \(name)-attention of layer \(layer)")
                }
            }
        }
        #expect(state.step == reference.step)
        for (name, tensor) in reference.tensors {
            #expect(state.tensors[name]?.shape == tensor.shape, "\(label): \(name)")
            if let mine = state.tensors[name], mine.shape == tensor.shape {
                #expect(maximumDifference(mine.scalars, tensor.scalars) <= 2e-6, "\(label): \(name)")
            }
        }
        return logits.scalars
    }

    @Test("a fused step equals the step through tensor operations: greedy rows, beam rows, padding and an empty source",
          arguments: variants.indices, [1, 2])
    func matchesTensorPath(variant: Int, threads: Int) throws {
        try GEMM.withThreadCount(threads) {
            try GEMMTests.forEachForm(Self.forms) { form in
                try checkMatchesTensorPath(variant: variant, threads: threads, form: form)
            }
        }
    }

    /// `matchesTensorPath` on one kernel form.
    func checkMatchesTensorPath(variant: Int, threads: Int, form: GEMM.KernelForm) throws {
        let model = try Self.model(Self.variants[variant])
        let parameters = ParameterList(model)   // the flat buffers an optimiser writes (below)
        let sources = TokenBatch([[3, 4, 5, 6, 7, 8, 9], [], [10, 11, 12]], paddingID: 0)
        var state = withoutGradients { model.encode(sources) }
        var reference = state
        for (t, tokens) in [[1, 1, 1], [5, 9, 30], [44, 2, 17]].enumerated() {
            Self.stepBoth(model, tokens, &state, &reference, "\(form), \(threads) threads, step \(t)")
        }
        // Beam search's reordering: eight rows (the most a fused step takes), sources out of order.
        let rows = [0, 2, 2, 1, 0, 2, 1, 0]
        state = state.selecting(rows)
        reference = reference.selecting(rows)
        for (t, tokens) in [[6, 7, 8, 9, 10, 11, 12, 13], [20, 21, 22, 23, 24, 25, 26, 27]].enumerated() {
            Self.stepBoth(model, tokens, &state, &reference, "\(form), \(threads) threads, beam step \(t)")
        }
        // The fused step reads copies of the weights: an optimiser-style write through the flat
        // buffer must reach them (a stale copy would leave the logits 1 % off).
        let values = parameters.values
        for i in 0..<values.count { values.pointer[i] *= 1.01 }
        Self.stepBoth(model, [30, 31, 32, 33, 34, 35, 36, 37], &state, &reference, "\(form), \(threads) threads, after a write")
    }

    @Test("on bfloat16 weights a fused step equals the tensor path on the same copies, and its logits move from float32's by the rounding alone, on each panel form",
          .enabled(if: GEMM.KernelForm.avx2.isAvailable, "the panel kernel needs AVX-512 or AVX2 and FMA"))
    func bfloat16Weights() throws {
        try GEMMTests.forEachForm(Self.forms) { form in
            try checkBfloat16Weights(form: form)
        }
    }

    /// `bfloat16Weights` on one kernel form.
    func checkBfloat16Weights(form: GEMM.KernelForm) throws {
        let model = try Self.model(Self.variants[1]), float32 = try Self.model(Self.variants[1])   // the same weights
        model.setPanelPrecision(.bfloat16)
        let sources = TokenBatch([[3, 4, 5, 6, 7, 8, 9], [10, 11, 12]], paddingID: 0)
        var state = withoutGradients { model.encode(sources) }
        var reference = state, plain = withoutGradients { float32.encode(sources) }
        for (t, tokens) in [[1, 1], [5, 9], [44, 17]].enumerated() {
            let logits = Self.stepBoth(model, tokens, &state, &reference, "\(form), bfloat16, step \(t)")
            let exact = withoutGradients { float32.decodeStep(tokens, state: &plain) }.logits.scalars
            // Each weight moves by at most 2⁻⁹ of itself: the logits move, by little.
            let scale = exact.map(abs).max()!, difference = maximumDifference(logits, exact)
            #expect(difference > 1e-5 * scale && difference < 2e-2 * scale, "\(form), step \(t): \(difference) at logits up to \(scale)")
        }
        // An odd head size would split the pairs bfloat16 panels hold: the fused step declines.
        var c = Self.variants[0]
        c.embeddingSize = 60   // four heads of 15
        let odd = try Self.model(c)
        odd.setPanelPrecision(.bfloat16)
        var oddState = withoutGradients { odd.encode(TokenBatch([[3, 4, 5]], paddingID: 0)) }
        #expect(withoutGradients { odd.fusedDecodeStep([1], state: &oddState) } == nil, "\(form)")
        odd.setPanelPrecision(.float32)
        #expect(withoutGradients { odd.fusedDecodeStep([1], state: &oddState) } != nil, "\(form)")
    }

    @Test("a fused step writes its position into the caches in place: no copy of them at a step that needs no more room, greedy or beam",
          .enabled(if: GEMM.KernelForm.avx2.isAvailable, "the fused step needs AVX-512 or AVX2 and FMA"))
    func cachesWrittenInPlace() throws {
        try GEMMTests.forEachForm(Self.forms) { form in
            let model = try Self.model(Self.variants[1])
            for rows in [1, 5] {
                var state = withoutGradients { model.encode(TokenBatch([[3, 4, 5, 6, 7]], paddingID: 0)) }
                if rows > 1 { state = state.selecting([Int](repeating: 0, count: rows)) }
                // The first step makes the caches, with room for eight positions.
                #expect(withoutGradients { model.fusedDecodeStep([Int](repeating: 1, count: rows), state: &state) } != nil)
                let buffers = state.tensors.mapValues { ObjectIdentifier($0.storage) }
                #expect(buffers.count == 2 * Self.variants[1].decoderLayers)
                _ = withoutGradients { model.fusedDecodeStep([Int](repeating: 5, count: rows), state: &state) }
                for (name, buffer) in buffers {
                    #expect(state.tensors[name].map { ObjectIdentifier($0.storage) } == buffer, "\(form), \(rows) rows: \(name) copied")
                }
            }
        }
    }

    @Test("a fused step run alone (the team busy with another job) gives the same bits as on the team, on each kernel form")
    func sameAloneAsOnTheTeam() throws {
        try GEMMTests.forEachForm(Self.forms) { form in
            try checkSameAloneAsOnTheTeam(form: form)
        }
    }

    /// `sameAloneAsOnTheTeam` on one kernel form.
    func checkSameAloneAsOnTheTeam(form: GEMM.KernelForm) throws {
        let model = try Self.model(Self.variants[1])
        let encoded = withoutGradients { model.encode(TokenBatch([[3, 4, 5, 6], [7, 8]], paddingID: 0)) }
        func decode() -> [[Float]] {
            var state = encoded
            return [[1, 1], [9, 4], [30, 2]].map { tokens in
                withoutGradients { model.decodeStep(tokens, state: &state) }.logits.scalars
            }
        }
        let onTheTeam = decode()
        // Inside a part of another job the team is taken: the step runs on its caller alone.
        var alone: [[Float]] = []
        Parallel.run(parts: 2) { part in
            if part == 0 { alone = decode() }
        }
        #expect(alone == onTheTeam, "\(form)")
    }

    @Test("nine rows, gradient recording, dropout in training and the portable kernels take the general path, state untouched")
    func declines() throws {
        let model = try Self.model(Self.variants[0])
        var state = withoutGradients { model.encode(TokenBatch(Array(repeating: [3, 4, 5], count: 9), paddingID: 0)) }
        #expect(withoutGradients { model.fusedDecodeStep(Array(repeating: 1, count: 9), state: &state) } == nil)
        var one = withoutGradients { model.encode(TokenBatch([[3, 4, 5]], paddingID: 0)) }
        #expect(model.fusedDecodeStep([1], state: &one) == nil)       // gradients recorded
        model.setTraining(true)
        #expect(withoutGradients { model.fusedDecodeStep([1], state: &one) } == nil)
        model.setTraining(false)
        GEMM.withKernelForm(.portable) {
            #expect(withoutGradients { model.fusedDecodeStep([1], state: &one) } == nil)
        }
        #expect(state.step == 0 && one.step == 0 && one.tensors.isEmpty)
        GEMMTests.forEachForm(Self.forms) { form in
            let before = one.step
            #expect(withoutGradients { model.fusedDecodeStep([1], state: &one) } != nil, "\(form)")
            #expect(one.step == before + 1)
        }
    }
}
