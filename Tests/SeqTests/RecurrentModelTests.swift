import Seq
import TestSupport
import Testing

/// Behaviour of the whole `rnn`, `lstm` and `bahdanau` models: causality, padding, incremental
/// decoding, attention weights, parameter names, configuration errors, edge cases.
@Suite("Recurrent models")
struct RecurrentModelTests {
    /// A tiny model configuration of a recurrent family.
    static func configuration(
        _ kind: ModelKind, layers: Int = 1, bidirectional: Bool = false, encoderCell: RecurrentCellKind = .lstm,
        scoring: AttentionScoring = .additive, share: Bool = false, tie: Bool = false
    ) -> ModelConfiguration {
        var c = ModelConfiguration()
        c.kind = kind
        c.sourceVocabularySize = share ? 13 : 11
        c.targetVocabularySize = 13
        c.paddingID = 0
        c.embeddingSize = tie ? 6 : 5
        c.hiddenSize = 6
        c.attentionSize = 7
        c.encoderLayers = layers
        c.decoderLayers = layers
        c.bidirectionalEncoder = bidirectional
        c.encoderCell = encoderCell
        c.attentionScoring = scoring
        c.shareSourceTargetEmbeddings = share
        c.tieOutputEmbedding = tie
        c.dropout = 0.1
        return c
    }

    /// Every variant the behaviour tests run on.
    static let variants: [ModelConfiguration] = [
        configuration(.rnn),
        configuration(.rnn, layers: 2, bidirectional: true),
        configuration(.lstm, layers: 2),
        configuration(.lstm, bidirectional: true, share: true, tie: true),
        configuration(.bahdanau),
        configuration(.bahdanau, layers: 2, encoderCell: .gru),
        configuration(.bahdanau, scoring: .general),
        configuration(.bahdanau, scoring: .dot, share: true),
    ]

    static func name(_ c: ModelConfiguration) -> String {
        "\(c.kind.rawValue) layers \(c.encoderLayers) bi \(c.bidirectionalEncoder) cell \(c.encoderCell.rawValue) \(c.attentionScoring.rawValue)"
    }

    /// A model in evaluation mode with every parameter random in ±0.5 (no zero bias hides a term).
    static func model(_ c: ModelConfiguration, seed: UInt64 = 5) throws -> any EncoderDecoder {
        let model = try c.makeModel(generator: RandomGenerator(seed: seed))
        let generator = RandomGenerator(seed: seed + 100)
        for (_, parameter) in model.namedParameters {
            parameter.value = Tensor.uniform(parameter.shape, low: -0.5, high: 0.5, generator: generator)
        }
        model.setTraining(false)
        return model
    }

    static let sources: [[Int]] = [[3, 4, 5, 6, 7], [8, 9], [10, 3, 3, 4]]
    static let targets: [[Int]] = [[1, 4, 5], [1, 6, 7, 8, 9, 10], [1, 12]]

    /// Entry `b`'s first `length` rows of `[batch, T, width]`.
    static func rows(_ tensor: Tensor, entry b: Int, length: Int) -> [Float] {
        let t = tensor.shape[1], width = tensor.shape[2]
        return Array(tensor.scalars[(b * t * width)..<(b * t * width + length * width)])
    }

    // MARK: Causality, padding, incremental decoding

    @Test("causality: a later target token leaves earlier logits unchanged", arguments: variants)
    func causality(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let source = TokenBatch([[3, 4, 5, 6]], paddingID: 0)
        let (before, _) = model.forward(source: source, targetInput: TokenBatch([[1, 5, 6, 7, 8]], paddingID: 0))
        let (after, _) = model.forward(source: source, targetInput: TokenBatch([[1, 5, 6, 11, 8]], paddingID: 0))
        #expect(maximumDifference(Self.rows(before, entry: 0, length: 3), Self.rows(after, entry: 0, length: 3)) <= 1e-6, "\(Self.name(c))")
        // …and the change does reach the later positions.
        #expect(maximumDifference(Self.rows(before, entry: 0, length: 4), Self.rows(after, entry: 0, length: 4)) > 1e-4, "\(Self.name(c))")
    }

    @Test("padding: each sentence alone and inside a padded batch give the same encoding and logits", arguments: variants)
    func padding(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let source = TokenBatch(Self.sources, paddingID: 0), target = TokenBatch(Self.targets, paddingID: 0)
        let (logits, attention) = model.forward(source: source, targetInput: target)
        let encoded = model.encode(source)
        for b in 0..<source.batchSize {
            let aloneSource = TokenBatch([Self.sources[b]], paddingID: 0)
            let (aloneLogits, aloneAttention) = model.forward(source: aloneSource, targetInput: TokenBatch([Self.targets[b]], paddingID: 0))
            let n = Self.targets[b].count
            #expect(maximumDifference(Self.rows(logits, entry: b, length: n), aloneLogits.scalars) <= 1e-5, "\(Self.name(c)) logits of \(b)")
            // The encoder's products: every state tensor the decoder starts from (recurrent states,
            // and for attention the annotations and keys at the real positions).
            let aloneEncoded = model.encode(aloneSource)
            for (key, tensor) in aloneEncoded.tensors {
                let batched = encoded[key].gatherRows([b])
                let actual = tensor.rank == 3 ? Self.rows(batched, entry: 0, length: Self.sources[b].count) : batched.scalars
                #expect(maximumDifference(actual, tensor.scalars) <= 1e-5, "\(Self.name(c)) encoder \(key) of \(b)")
            }
            if let cross = attention.cross.first, let aloneCross = aloneAttention.cross.first {
                // [batch, 1, T, S]: entry b's rows over its own source positions.
                let s = source.length, m = Self.sources[b].count
                for t in 0..<n {
                    let row = (0..<s).map { cross[b, 0, t, $0] }
                    #expect(maximumDifference(Array(row[..<m]), (0..<m).map { aloneCross[0, 0, t, $0] }) <= 1e-5)
                }
            }
        }
    }

    @Test("incremental decoding: encode + decodeStep equals the teacher-forced forward pass", arguments: variants)
    func incremental(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let source = TokenBatch(Self.sources, paddingID: 0), target = TokenBatch(Self.targets, paddingID: 0)
        let (logits, attention) = model.forward(source: source, targetInput: target)
        var state = withoutGradients { model.encode(source) }
        let vocabulary = c.targetVocabularySize
        for t in 0..<target.length {
            let tokens = (0..<target.batchSize).map { target.ids[$0 * target.length + t] }
            let (stepLogits, stepAttention) = withoutGradients { model.decodeStep(tokens, state: &state) }
            #expect(stepLogits.shape == [target.batchSize, vocabulary])
            #expect(!stepLogits.requiresGradient, "decoding must record no autograd graph")
            let full = (0..<target.batchSize).flatMap { b in (0..<vocabulary).map { logits[b, t, $0] } }
            #expect(maximumDifference(stepLogits.scalars, full) <= 1e-5, "\(Self.name(c)) step \(t)")
            if let cross = attention.cross.first {
                let step = try #require(stepAttention.cross.first)
                #expect(step.shape == [target.batchSize, 1, 1, source.length])
                let fullStep = (0..<target.batchSize).flatMap { b in (0..<source.length).map { cross[b, 0, t, $0] } }
                #expect(maximumDifference(step.scalars, fullStep) <= 1e-5)
            }
        }
        #expect(state.step == target.length)
    }

    @Test("beam reordering: selecting state rows equals decoding those sentences", arguments: variants)
    func selecting(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let source = TokenBatch(Self.sources, paddingID: 0)
        var state = withoutGradients { model.encode(source) }
        _ = withoutGradients { model.decodeStep([1, 1, 1], state: &state) }
        var reordered = state.selecting([2, 0, 0])
        let (logits, _) = withoutGradients { model.decodeStep([5, 6, 7], state: &reordered) }
        var single = withoutGradients { model.encode(TokenBatch([Self.sources[2]], paddingID: 0)) }
        _ = withoutGradients { model.decodeStep([1], state: &single) }
        let (alone, _) = withoutGradients { model.decodeStep([5], state: &single) }
        #expect(maximumDifference(Array(logits.scalars[..<c.targetVocabularySize]), alone.scalars) <= 1e-5)
    }

    // MARK: Attention

    @Test("attention: rows sum to 1 and are exactly 0 on padded source positions",
          arguments: variants.filter { $0.kind == .bahdanau })
    func attentionRows(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let source = TokenBatch(Self.sources, paddingID: 0), target = TokenBatch(Self.targets, paddingID: 0)
        let (_, attention) = model.forward(source: source, targetInput: target)
        #expect(attention.cross.count == 1 && attention.decoderSelf.isEmpty && attention.encoderSelf.isEmpty)
        let cross = try #require(attention.cross.first)
        #expect(cross.shape == [source.batchSize, 1, target.length, source.length])
        for b in 0..<source.batchSize {
            for t in 0..<target.length {
                let row = (0..<source.length).map { cross[b, 0, t, $0] }
                let n = source.lengths[b]
                #expect(abs(row[..<n].reduce(0, +) - 1) <= 1e-5)
                #expect(row[n...].allSatisfy { $0 == 0 }, "\(Self.name(c)): entry \(b) step \(t) attends to padding")
            }
        }
    }

    @Test("families without attention return no attention maps", arguments: variants.filter { $0.kind != .bahdanau })
    func noAttention(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let (_, attention) = model.forward(source: TokenBatch([[3, 4]], paddingID: 0), targetInput: TokenBatch([[1, 5]], paddingID: 0))
        #expect(attention.cross.isEmpty && attention.decoderSelf.isEmpty && attention.encoderSelf.isEmpty)
    }

    // MARK: Training mode, gradients, edge cases

    @Test("dropout acts in training only", arguments: [configuration(.lstm, layers: 2), configuration(.bahdanau)])
    func dropoutMode(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let source = TokenBatch([[3, 4, 5]], paddingID: 0), target = TokenBatch([[1, 6, 7]], paddingID: 0)
        let evaluation = model.forward(source: source, targetInput: target).logits.scalars
        #expect(model.forward(source: source, targetInput: target).logits.scalars == evaluation)
        model.setTraining(true)
        #expect(model.forward(source: source, targetInput: target).logits.scalars != evaluation)
    }

    @Test("a loss reaches every parameter", arguments: variants)
    func everyParameterLearns(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        let source = TokenBatch(Self.sources, paddingID: 0), target = TokenBatch(Self.targets, paddingID: 0)
        let (logits, _) = model.forward(source: source, targetInput: target)
        // Targets: each input shifted left, then the end id 2, then padding.
        let outputs: [[Int]] = Self.targets.map { Array($0.dropFirst()) + [2] }
        let shifted = TokenBatch(outputs, paddingID: 0).ids
        Tensor.crossEntropy(logits: logits, targets: shifted, ignoredIndex: 0).backward()
        for (name, parameter) in model.namedParameters {
            #expect(parameter.gradient.scalars.contains { $0 != 0 }, "\(Self.name(c)): no gradient for \(name)")
        }
    }

    @Test("edge cases: length-1 and empty sources, a batch of only empty sources", arguments: variants)
    func edgeCases(_ c: ModelConfiguration) throws {
        let model = try Self.model(c)
        for sources in [[[3]], [[3, 4], []], [[], []]] {
            let source = TokenBatch(sources, paddingID: 0)
            let target = TokenBatch(Array(repeating: [1, 4], count: sources.count), paddingID: 0)
            let (logits, attention) = model.forward(source: source, targetInput: target)
            #expect(logits.shape == [sources.count, 2, c.targetVocabularySize])
            #expect(logits.scalars.allSatisfy { $0.isFinite }, "\(Self.name(c)) \(sources)")
            if let cross = attention.cross.first {
                // An empty source attends to nothing.
                for (b, sentence) in sources.enumerated() where sentence.isEmpty {
                    for t in 0..<2 { #expect((0..<source.length).allSatisfy { cross[b, 0, t, $0] == 0 }) }
                }
            }
        }
    }

    // MARK: Configuration

    @Test("parameter names are stable")
    func parameterNames() throws {
        let cell = ["inputWeight", "hiddenWeight", "bias"]
        let rnn = try Self.model(Self.configuration(.rnn, bidirectional: true)).namedParameters.map(\.name)
        #expect(rnn == ["sourceEmbedding.weight", "targetEmbedding.weight"]
            + cell.map { "encoder.layers.0.forward.\($0)" } + cell.map { "encoder.layers.0.backward.\($0)" }
            + ["bridges.0.hidden.weight", "bridges.0.hidden.bias"]
            + cell.map { "decoder.layers.0.\($0)" } + ["output.weight", "output.bias"])
        let lstm = try Self.model(Self.configuration(.lstm, share: true, tie: true)).namedParameters.map(\.name)
        #expect(lstm == ["sourceEmbedding.weight"] + cell.map { "encoder.layers.0.forward.\($0)" } + cell.map { "decoder.layers.0.\($0)" })
        let lstmBridge = try Self.model(Self.configuration(.lstm, bidirectional: true)).namedParameters.map(\.name)
        #expect(lstmBridge.filter { $0.hasPrefix("bridges") } == ["bridges.0.hidden.weight", "bridges.0.hidden.bias", "bridges.0.cell.weight", "bridges.0.cell.bias"])
        let gru = cell + ["hiddenBias"]
        let bahdanau = try Self.model(Self.configuration(.bahdanau, encoderCell: .gru)).namedParameters.map(\.name)
        #expect(bahdanau == ["sourceEmbedding.weight", "targetEmbedding.weight"]
            + gru.map { "encoder.layers.0.forward.\($0)" } + gru.map { "encoder.layers.0.backward.\($0)" }
            + ["bridges.0.hidden.weight", "bridges.0.hidden.bias",
               "attention.query.weight", "attention.key.weight", "attention.score.weight"]
            + cell.map { "decoder.layers.0.\($0)" } + ["output.weight", "output.bias"])
    }

    @Test("shapes follow the configuration")
    func shapes() throws {
        let c = Self.configuration(.bahdanau)
        let model = try #require(try Self.model(c) as? AttentionEncoderDecoder)
        let parameters = Dictionary(uniqueKeysWithValues: model.namedParameters.map { ($0.name, $0.parameter.shape) })
        #expect(parameters["encoder.layers.0.forward.inputWeight"] == [24, 5])
        #expect(parameters["bridges.0.hidden.weight"] == [6, 12])
        #expect(parameters["attention.key.weight"] == [7, 12])
        #expect(parameters["decoder.layers.0.inputWeight"] == [24, 5 + 12])
        #expect(parameters["output.weight"] == [13, 6 + 12])
        // Dot scoring widens the decoder to the annotation width.
        let dot = try Self.model(Self.configuration(.bahdanau, scoring: .dot))
        #expect(dot.namedParameters.first { $0.name == "decoder.layers.0.hiddenWeight" }?.parameter.shape == [48, 12])
        // An explicit decoder width reaches the bridge, the attention query, the decoder and the output.
        var wide = c
        wide.decoderHiddenSize = 9
        let widened = Dictionary(uniqueKeysWithValues: try Self.model(wide).namedParameters.map { ($0.name, $0.parameter.shape) })
        #expect(widened["bridges.0.hidden.weight"] == [9, 12])
        #expect(widened["attention.query.weight"] == [7, 9])
        #expect(widened["decoder.layers.0.hiddenWeight"] == [36, 9])
        #expect(widened["output.weight"] == [13, 9 + 12])
    }

    @Test("configurations a family cannot honour are rejected")
    func invalidConfigurations() {
        var unequal = Self.configuration(.lstm, layers: 2)
        unequal.decoderLayers = 1
        var elmanAttention = Self.configuration(.bahdanau)
        elmanAttention.encoderCell = .rnn
        var tiedWrongSize = Self.configuration(.rnn)
        tiedWrongSize.tieOutputEmbedding = true
        var sharedUnequal = Self.configuration(.bahdanau)
        sharedUnequal.shareSourceTargetEmbeddings = true
        var dotTooNarrow = Self.configuration(.bahdanau, scoring: .dot)
        dotTooNarrow.decoderHiddenSize = 6
        for c in [unequal, elmanAttention, tiedWrongSize, Self.configuration(.bahdanau, tie: true), sharedUnequal, dotTooNarrow] {
            #expect(throws: ModelError.self, "\(Self.name(c))") { try c.makeModel(generator: RandomGenerator(seed: 1)) }
        }
    }
}
