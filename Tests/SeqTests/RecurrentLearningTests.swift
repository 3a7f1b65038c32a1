import Foundation
import Seq
import TestSupport
import Testing

/// The recurrent families learn the synthetic sequence-reversal task (JoeyNMT's smoke test) to
/// the accuracy issue 4 asks for, within a fixed, seeded budget of training steps.
///
/// Sources are random sequences over 12 symbols; the target is the source reversed. Accuracy is
/// exact match of greedy decoding on 200 held-out sequences. Training stops early once separate
/// validation sets (one per evaluated length range) are decoded almost perfectly, so the figures
/// printed are the steps actually used.
@Suite("Recurrent learning", .serialized)
struct RecurrentLearningTests {
    /// Ids: padding 0, begin 1, end 2, symbols 3…14.
    enum Reversal {
        static let padding = 0, begin = 1, end = 2, symbols = 12
        static let vocabulary = 3 + symbols

        static func sequences(_ count: Int, lengths: ClosedRange<Int>, generator: RandomGenerator) -> [[Int]] {
            var g = generator  // a reference: draws advance the caller's generator
            return (0..<count).map { _ in
                let n = Int.random(in: lengths, using: &g)
                return (0..<n).map { _ in 3 + Int.random(in: 0..<symbols, using: &g) }
            }
        }
    }

    struct Budget {
        var steps: Int
        var batchSize: Int
        var learningRate: Float
        var lengths: ClosedRange<Int>
        /// Validate (and maybe stop) every this many steps.
        var validationInterval = 200
    }

    struct Outcome: CustomStringConvertible {
        var steps: Int
        var seconds: Double
        var processorSeconds: Double
        var finalLoss: Float
        var description: String {
            "\(steps) steps, \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", processorSeconds)) s CPU), final loss \(String(format: "%.4f", finalLoss))"
        }
    }

    static func configuration(_ kind: ModelKind) -> ModelConfiguration {
        var c = ModelConfiguration()
        c.kind = kind
        c.sourceVocabularySize = Reversal.vocabulary
        c.targetVocabularySize = Reversal.vocabulary
        c.paddingID = Reversal.padding
        c.embeddingSize = 32
        c.hiddenSize = 64
        c.attentionSize = 32
        c.dropout = 0
        return c
    }

    /// Teacher-forced batches: source, `[BOS] + reversed`, and `reversed + [EOS]` as flat targets.
    static func batch(_ sequences: [[Int]]) -> (source: TokenBatch, input: TokenBatch, output: [Int]) {
        let reversed = sequences.map { Array($0.reversed()) }
        let input = TokenBatch(reversed.map { [Reversal.begin] + $0 }, paddingID: Reversal.padding)
        let output = TokenBatch(reversed.map { $0 + [Reversal.end] }, paddingID: Reversal.padding)
        return (TokenBatch(sequences, paddingID: Reversal.padding), input, output.ids)
    }

    /// Greedy decoding of a whole batch at once, each sentence until its end token or `length + 5` tokens.
    static func greedy(_ model: any EncoderDecoder, _ sources: [[Int]]) -> [[Int]] {
        withoutGradients {
            var state = model.encode(TokenBatch(sources, paddingID: Reversal.padding))
            var tokens = Array(repeating: Reversal.begin, count: sources.count)
            var outputs = Array(repeating: [Int](), count: sources.count)
            var finished = Array(repeating: false, count: sources.count)
            let limit = (sources.map(\.count).max() ?? 0) + 5
            for _ in 0..<limit where finished.contains(false) {
                let (logits, _) = model.decodeStep(tokens, state: &state)
                tokens = logits.argmaxLastAxis()
                for b in sources.indices where !finished[b] {
                    if tokens[b] == Reversal.end || outputs[b].count >= sources[b].count + 5 {
                        finished[b] = true
                    } else {
                        outputs[b].append(tokens[b])
                    }
                }
            }
            return outputs
        }
    }

    static func accuracy(_ model: any EncoderDecoder, _ sources: [[Int]]) -> Double {
        model.setTraining(false)
        let hypotheses = greedy(model, sources)
        let correct = zip(sources, hypotheses).filter { Array($0.reversed()) == $1 }.count
        return Double(correct) / Double(sources.count)
    }

    /// Adam with gradient clipping and a cosine decay to a tenth of the learning rate over the
    /// budget, on fresh random batches; stops once every validation set is decoded at ≥ 99% exact
    /// match (checked every `validationInterval` steps) or the budget is spent.
    static func train(_ model: any EncoderDecoder, _ budget: Budget, seed: UInt64, validation: [[[Int]]]) -> Outcome {
        let parameters = ParameterList(model)
        let optimizer = Adam(parameters: parameters, learningRate: budget.learningRate)
        let generator = RandomGenerator(seed: seed)
        let start = Date(), startClock = clock()
        var loss: Float = .nan
        var step = 0
        while step < budget.steps {
            model.setTraining(true)
            let progress = Float(step) / Float(budget.steps)
            optimizer.learningRate = budget.learningRate * (0.1 + 0.45 * (1 + cos(Float.pi * progress)))
            let (source, input, output) = batch(Reversal.sequences(budget.batchSize, lengths: budget.lengths, generator: generator))
            let (logits, _) = model.forward(source: source, targetInput: input)
            let objective = Tensor.crossEntropy(logits: logits, targets: output, ignoredIndex: Reversal.padding)
            objective.backward()
            parameters.clipGradientNorm(1)
            optimizer.step()
            parameters.zeroGradients()
            loss = objective.scalar
            step += 1
            if step % budget.validationInterval == 0 && validation.allSatisfy({ accuracy(model, $0) >= 0.99 }) { break }
        }
        model.setTraining(false)
        return Outcome(
            steps: step, seconds: Date().timeIntervalSince(start),
            processorSeconds: Double(clock() - startClock) / 1e6, finalLoss: loss)  // CLOCKS_PER_SEC is 10⁶ by POSIX (XSI)
    }

    static func run(_ c: ModelConfiguration, _ budget: Budget, evaluations: [(String, ClosedRange<Int>, Double)]) throws {
        let model = try c.makeModel(generator: RandomGenerator(seed: 1))
        let validation = evaluations.enumerated().map { index, evaluation in
            Reversal.sequences(200, lengths: evaluation.1, generator: RandomGenerator(seed: 2 + UInt64(index)))
        }
        let outcome = train(model, budget, seed: 3, validation: validation)
        for (index, (label, lengths, required)) in evaluations.enumerated() {
            let heldOut = Reversal.sequences(200, lengths: lengths, generator: RandomGenerator(seed: 1000 + UInt64(index)))
            let score = accuracy(model, heldOut)
            print("reversal \(c.kind.rawValue) (\(model.parameterCount) parameters, batch \(budget.batchSize)): \(outcome); held-out exact match at \(label): \(String(format: "%.1f", 100 * score))%")
            #expect(score >= required, "\(c.kind.rawValue) at \(label): \(score) after \(outcome)")
        }
    }

    @Test("rnn learns to reverse sequences of length 3–10")
    func rnn() throws {
        var c = Self.configuration(.rnn)
        c.hiddenSize = 128
        c.bidirectionalEncoder = true
        try Self.run(c, Budget(steps: 4000, batchSize: 64, learningRate: 5e-3, lengths: 3...10), evaluations: [("lengths 3–10", 3...10, 0.95)])
    }

    @Test("lstm learns to reverse sequences of length 3–10")
    func lstm() throws {
        var c = Self.configuration(.lstm)
        c.hiddenSize = 96
        try Self.run(c, Budget(steps: 3000, batchSize: 64, learningRate: 5e-3, lengths: 3...10), evaluations: [("lengths 3–10", 3...10, 0.95)])
    }

    @Test("bahdanau learns to reverse sequences of length 3–10 and 15–25")
    func bahdanau() throws {
        let c = Self.configuration(.bahdanau)
        try Self.run(
            c, Budget(steps: 3000, batchSize: 32, learningRate: 5e-3, lengths: 3...25),
            evaluations: [("lengths 3–10", 3...10, 0.95), ("lengths 15–25", 15...25, 0.90)])
    }
}
