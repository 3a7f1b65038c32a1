import Foundation
import Seq
import TestSupport
import Testing

/// The recurrent building blocks on their own: cells, the unroller, the bidirectional encoder and
/// the attention scorers — gradients by central differences, values against an independent NumPy
/// implementation (`scripts/make_recurrent_fixtures.py`).
@Suite("Recurrent layers")
struct RecurrentLayerTests {
    static func cell(_ kind: RecurrentCellKind, inputSize: Int, hiddenSize: Int, seed: UInt64 = 3) -> any RecurrentCell {
        let generator = RandomGenerator(seed: seed)
        switch kind {
        case .rnn: return SimpleRNNCell(inputSize: inputSize, hiddenSize: hiddenSize, generator: generator)
        case .lstm: return LSTMCell(inputSize: inputSize, hiddenSize: hiddenSize, generator: generator)
        case .gru: return GRUCell(inputSize: inputSize, hiddenSize: hiddenSize, generator: generator)
        }
    }

    /// Replaces every parameter by uniform values in ±1 so that no zero bias hides a missing term.
    static func randomize(_ layer: Layer, seed: UInt64 = 11) {
        let generator = RandomGenerator(seed: seed)
        for (_, parameter) in layer.namedParameters {
            parameter.value = Tensor.uniform(parameter.shape, low: -1, high: 1, generator: generator)
        }
    }

    // MARK: Gradients

    @Test("cells: gradients of input, state and every parameter", arguments: [RecurrentCellKind.rnn, .lstm, .gru])
    func cellGradients(_ kind: RecurrentCellKind) {
        let cell = Self.cell(kind, inputSize: 3, hiddenSize: 4)
        Self.randomize(cell)
        let x = randomTensor([2, 3], seed: 1), h = randomTensor([2, 4], seed: 2), c = randomTensor([2, 4], seed: 3)
        // Both outputs of an LSTM step, so the cell path is checked too.
        func run(_ x: Tensor, _ h: Tensor, _ c: Tensor) -> Tensor {
            let next = cell(x, state: RecurrentState(hidden: h, cell: cell.hasMemoryCell ? c : nil))
            guard let newCell = next.cell else { return next.hidden }
            return Tensor.concatenate([next.hidden, newCell], axis: 1)
        }
        let inputs = checkGradients([x, h, c]) { run($0[0], $0[1], $0[2]) }
        #expect(inputs.passed, "\(kind) inputs: \(inputs)")
        let parameters = checkParameterGradients(of: cell) { run(x, h, c) }
        #expect(parameters.passed, "\(kind) parameters: \(parameters)")
    }

    @Test("unroller: gradients through a padded batch, both directions", arguments: [false, true])
    func unrollerGradients(_ reversed: Bool) {
        let recurrent = Recurrent(Self.cell(.lstm, inputSize: 2, hiddenSize: 3), reversed: reversed)
        Self.randomize(recurrent)
        let x = randomTensor([3, 4, 2], seed: 5)
        let lengths = [4, 2, 1]
        func run(_ x: Tensor) -> Tensor {
            let (outputs, final) = recurrent(x, lengths: lengths)
            return Tensor.concatenate([outputs.reshaped([3, 12]), final.hidden, final.cell!], axis: 1)
        }
        let inputs = checkGradients([x]) { run($0[0]) }
        #expect(inputs.passed, "\(inputs)")
        let parameters = checkParameterGradients(of: recurrent) { run(x) }
        #expect(parameters.passed, "\(parameters)")
    }

    @Test("attention: gradients of query, memory and every projection", arguments: [AttentionScoring.additive, .general, .dot])
    func attentionGradients(_ scoring: AttentionScoring) {
        let generator = RandomGenerator(seed: 8)
        let attention: any SourceAttention = switch scoring {
        case .additive: AdditiveAttention(querySize: 3, memorySize: 4, attentionSize: 5, generator: generator)
        case .general: MultiplicativeAttention(querySize: 3, memorySize: 4, general: true, generator: generator)
        case .dot: MultiplicativeAttention(querySize: 4, memorySize: 4, general: false, generator: generator)
        }
        Self.randomize(attention)
        let query = randomTensor([3, attention.querySize], seed: 6), memory = randomTensor([3, 5, 4], seed: 7)
        let lengths = [5, 3, 1]
        func run(_ query: Tensor, _ memory: Tensor) -> Tensor {
            let (context, weights) = attention(query: query, keys: attention.keys(for: memory), memory: memory, sourceLengths: lengths)
            return Tensor.concatenate([context, weights], axis: 1)
        }
        let inputs = checkGradients([query, memory]) { run($0[0], $0[1]) }
        #expect(inputs.passed, "\(scoring) inputs: \(inputs)")
        if !attention.namedParameters.isEmpty {
            let parameters = checkParameterGradients(of: attention) { run(query, memory) }
            #expect(parameters.passed, "\(scoring) parameters: \(parameters)")
        }
    }

    // MARK: Padding and direction

    @Test("unroller: a sequence alone and inside a padded batch agree; reversal starts at the true end")
    func unrollerPadding() {
        let recurrent = Recurrent(Self.cell(.gru, inputSize: 3, hiddenSize: 4), reversed: true)
        let batch = randomTensor([2, 5, 3], seed: 9)
        let (outputs, final) = recurrent(batch, lengths: [5, 2])
        let alone = batch.sliced(axis: 0, 1..<2).sliced(axis: 1, 0..<2)  // the second sequence, unpadded
        let (aloneOutputs, aloneFinal) = recurrent(alone, lengths: [2])
        let padded = outputs.sliced(axis: 0, 1..<2)
        #expect(maximumDifference(padded.sliced(axis: 1, 0..<2).scalars, aloneOutputs.scalars) <= 1e-6)
        #expect(padded.sliced(axis: 1, 2..<5).scalars.allSatisfy { $0 == 0 }, "outputs at padding must be zero")
        #expect(maximumDifference(final.hidden.sliced(axis: 0, 1..<2).scalars, aloneFinal.hidden.scalars) <= 1e-6)
        // Reading right to left, the final state is the one after the first token, i.e. output 0.
        #expect(maximumDifference(aloneFinal.hidden.scalars, aloneOutputs.sliced(axis: 1, 0..<1).scalars) == 0)
    }

    @Test("encoder: parameter names of a two-layer bidirectional stack")
    func encoderNames() {
        let encoder = RecurrentEncoder(cell: .lstm, inputSize: 3, hiddenSize: 4, layers: 2, bidirectional: true, dropout: 0, generator: RandomGenerator(seed: 1))
        let names = encoder.namedParameters.map(\.name)
        #expect(names == [
            "layers.0.forward.inputWeight", "layers.0.forward.hiddenWeight", "layers.0.forward.bias",
            "layers.0.backward.inputWeight", "layers.0.backward.hiddenWeight", "layers.0.backward.bias",
            "layers.1.forward.inputWeight", "layers.1.forward.hiddenWeight", "layers.1.forward.bias",
            "layers.1.backward.inputWeight", "layers.1.backward.hiddenWeight", "layers.1.backward.bias",
        ])
        // Layer 1 reads both directions of layer 0.
        #expect(encoder.forwardLayers[1].inputSize == 8)
        #expect(encoder.outputSize == 8)
    }

    @Test("LSTM: forget-gate bias starts at 1, the other gates at 0")
    func forgetBias() {
        let cell = LSTMCell(inputSize: 2, hiddenSize: 3, generator: RandomGenerator(seed: 1))
        #expect(cell.bias.value.scalars == [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])
    }

    // MARK: Parity with NumPy

    struct Fixture: Decodable {
        let lstmCell: [String: FixtureTensor]
        let gruCell: [String: FixtureTensor]
        let rnnCell: [String: FixtureTensor]
        let lstmSequence: Sequence
        let additiveAttention: Attention
        let generalAttention: Attention

        struct Sequence: Decodable {
            let lengths: [Int]
            let inputs, inputWeight, hiddenWeight, bias: FixtureTensor
            let forwardOutputs, forwardFinalHidden, forwardFinalCell: FixtureTensor
            let backwardOutputs, backwardFinalHidden, backwardFinalCell: FixtureTensor
        }

        struct Attention: Decodable {
            let lengths: [Int]
            let query, memory, weights, context: FixtureTensor
            let queryWeight, keyWeight, scoreWeight: FixtureTensor?
        }
    }

    static func loadFixture() throws -> Fixture { try NumPyFixtures.load("recurrent", as: Fixture.self) }

    @Test("parity: one step of each cell matches NumPy")
    func cellParity() throws {
        let fixture = try Self.loadFixture()
        for (kind, tensors) in [(RecurrentCellKind.lstm, fixture.lstmCell), (.gru, fixture.gruCell), (.rnn, fixture.rnnCell)] {
            let input = try #require(tensors["input"]).tensor, hidden = try #require(tensors["hidden"]).tensor
            let cell = Self.cell(kind, inputSize: input.shape[1], hiddenSize: hidden.shape[1])
            try NumPyFixtures.load(tensors, into: cell)
            let next = cell(input, state: RecurrentState(hidden: hidden, cell: tensors["cell"]?.tensor))
            NumPyFixtures.expectMatches(next.hidden, try #require(tensors["newHidden"]), "\(kind) hidden")
            if kind == .lstm { NumPyFixtures.expectMatches(try #require(next.cell), try #require(tensors["newCell"]), "lstm cell") }
        }
    }

    @Test("parity: an LSTM over a padded batch, left to right and right to left, matches NumPy run per sequence")
    func sequenceParity() throws {
        let f = try Self.loadFixture().lstmSequence
        for reversed in [false, true] {
            let cell = LSTMCell(inputSize: f.inputs.shape[2], hiddenSize: f.hiddenWeight.shape[1], generator: RandomGenerator(seed: 1))
            try NumPyFixtures.load(["inputWeight": f.inputWeight, "hiddenWeight": f.hiddenWeight, "bias": f.bias], into: cell)
            let (outputs, final) = Recurrent(cell, reversed: reversed)(f.inputs.tensor, lengths: f.lengths)
            let direction = reversed ? "backward" : "forward"
            NumPyFixtures.expectMatches(outputs, reversed ? f.backwardOutputs : f.forwardOutputs, "\(direction) outputs")
            NumPyFixtures.expectMatches(final.hidden, reversed ? f.backwardFinalHidden : f.forwardFinalHidden, "\(direction) final hidden")
            NumPyFixtures.expectMatches(try #require(final.cell), reversed ? f.backwardFinalCell : f.forwardFinalCell, "\(direction) final cell")
        }
    }

    @Test("parity: additive and general attention match NumPy, weights exactly 0 on padding")
    func attentionParity() throws {
        let fixture = try Self.loadFixture()
        let additiveCase = fixture.additiveAttention, generalCase = fixture.generalAttention
        let querySize = additiveCase.query.shape[1], memorySize = additiveCase.memory.shape[2]
        let additive = AdditiveAttention(
            querySize: querySize, memorySize: memorySize, attentionSize: try #require(additiveCase.queryWeight).shape[0],
            generator: RandomGenerator(seed: 1))
        try NumPyFixtures.load(
            ["query.weight": try #require(additiveCase.queryWeight), "key.weight": try #require(additiveCase.keyWeight),
             "score.weight": try #require(additiveCase.scoreWeight)],
            into: additive)
        let general = MultiplicativeAttention(querySize: querySize, memorySize: memorySize, general: true, generator: RandomGenerator(seed: 1))
        try NumPyFixtures.load(["key.weight": try #require(generalCase.keyWeight)], into: general)

        for (name, attention, f) in [("additive", additive as any SourceAttention, additiveCase), ("general", general, generalCase)] {
            let memory = f.memory.tensor
            let (context, weights) = attention(query: f.query.tensor, keys: attention.keys(for: memory), memory: memory, sourceLengths: f.lengths)
            NumPyFixtures.expectMatches(weights, f.weights, "\(name) weights")
            NumPyFixtures.expectMatches(context, f.context, "\(name) context")
            let length = memory.shape[1]
            for (b, n) in f.lengths.enumerated() {
                let row = Array(weights.scalars[(b * length)..<((b + 1) * length)])
                #expect(row[n...].allSatisfy { $0 == 0 }, "\(name): weights on padding must be exactly 0")
                #expect(abs(row.reduce(0, +) - 1) <= 1e-6)
            }
        }
    }
}
