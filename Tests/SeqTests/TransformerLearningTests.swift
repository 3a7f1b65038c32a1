import Foundation
import Seq
import TestSupport
import Testing

/// The Transformer learns to reverse random sequences (JoeyNMT's synthetic smoke task), judged
/// by greedy decoding through `encode` + `decodeStep` on held-out sequences.
@Suite("Transformer learning", .serialized)
struct TransformerLearningTests {
    static let padding = 0, begin = 1, end = 2
    /// Symbols are `3..<15`: 12 of them.
    static let symbols = 3..<15
    static let vocabulary = 15

    /// A reproducible stream of random symbol sequences with lengths in `lengths`, skipping `excluded` ones.
    struct ReversalData {
        let lengths: ClosedRange<Int>
        let generator: RandomGenerator
        var excluded: Set<[Int]> = []

        mutating func sequence() -> [Int] {
            while true {
                let length = lengths.lowerBound + Int(generator.next() % UInt64(lengths.count))
                let sequence = (0..<length).map { _ in symbols.lowerBound + Int(generator.next() % UInt64(symbols.count)) }
                if !excluded.contains(sequence) { return sequence }
            }
        }

        mutating func sequences(_ count: Int) -> [[Int]] { (0..<count).map { _ in sequence() } }
    }

    /// Greedy decoding of a batch: the most likely token at every step until each entry has
    /// produced the end id or `maximumLength` tokens. (Real search lives in `GreedySearch`.)
    static func greedy(_ model: some EncoderDecoder, _ sources: [[Int]], maximumLength: Int) -> [[Int]] {
        withoutGradients {
            var state = model.encode(TokenBatch(sources, paddingID: padding))
            var outputs = [[Int]](repeating: [], count: sources.count)
            var finished = [Bool](repeating: false, count: sources.count)
            var tokens = [Int](repeating: begin, count: sources.count)
            for _ in 0..<maximumLength where finished.contains(false) {
                let (logits, _) = model.decodeStep(tokens, state: &state)
                tokens = logits.argmaxLastAxis()
                for (b, token) in tokens.enumerated() where !finished[b] {
                    if token == end { finished[b] = true } else { outputs[b].append(token) }
                }
            }
            return outputs
        }
    }

    /// The fraction of `sources` whose greedy output is exactly the reversed source.
    static func exactMatch(_ model: some EncoderDecoder, _ sources: [[Int]]) -> Double {
        let outputs = greedy(model, sources, maximumLength: (sources.map(\.count).max() ?? 0) + 5)
        let correct = zip(sources, outputs).filter { Array($0.0.reversed()) == $0.1 }.count
        return Double(correct) / Double(sources.count)
    }

    struct Outcome: CustomStringConvertible {
        var accuracy: Double, steps: Int, seconds: Double, processorSeconds: Double, loss: Float
        var description: String {
            "exact match \(accuracy) on 200 held-out, \(steps) steps, \(String(format: "%.1f", seconds)) s wall, "
                + "\(String(format: "%.1f", processorSeconds)) s CPU, final loss \(loss)"
        }
    }

    /// CPU time of this process (all threads): wall time means little on a shared machine.
    static func processorTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Trains on fresh random batches (never a held-out sequence) with Adam, a linear warm-up and
    /// inverse-square-root decay, checking a validation set every `evaluationInterval` steps and
    /// stopping once it reaches `target`; then measures exact match on `test`.
    static func train(
        _ configuration: ModelConfiguration, lengths: ClosedRange<Int>, batchSize: Int, maximumSteps: Int,
        peakLearningRate: Float, warmupSteps: Int, target: Double, evaluationInterval: Int = 100, seed: UInt64
    ) throws -> Outcome {
        let start = Date(), startProcessor = processorTime()
        let model = try Transformer(configuration: configuration, generator: RandomGenerator(seed: seed))
        var heldOut = ReversalData(lengths: lengths, generator: RandomGenerator(seed: seed &+ 1))
        let test = heldOut.sequences(200), validation = heldOut.sequences(100)
        var training = ReversalData(lengths: lengths, generator: RandomGenerator(seed: seed &+ 2), excluded: Set(test + validation))

        let parameters = ParameterList(model)
        let optimizer = Adam(parameters: parameters, learningRate: peakLearningRate, beta1: 0.9, beta2: 0.98, epsilon: 1e-9)
        var steps = 0, lastLoss: Float = .nan
        model.setTraining(true)
        while steps < maximumSteps {
            steps += 1
            let sources = training.sequences(batchSize)
            let reversed = sources.map { Array($0.reversed()) }
            let targetInput = TokenBatch(reversed.map { [begin] + $0 }, paddingID: padding)
            let targetOutput = TokenBatch(reversed.map { $0 + [end] }, paddingID: padding)
            let (logits, _) = model.forward(source: TokenBatch(sources, paddingID: padding), targetInput: targetInput)
            let loss = Tensor.crossEntropy(logits: logits, targets: targetOutput.ids, ignoredIndex: padding)
            loss.backward()
            parameters.clipGradientNorm(1)
            let t = Float(steps), warmup = Float(warmupSteps)
            optimizer.learningRate = peakLearningRate * min(t / warmup, (warmup / t).squareRoot())
            optimizer.step()
            parameters.zeroGradients()
            lastLoss = loss.scalar
            if steps % evaluationInterval == 0 {
                model.setTraining(false)
                let reached = exactMatch(model, validation) >= target
                model.setTraining(true)
                if reached { break }
            }
        }
        model.setTraining(false)
        let accuracy = exactMatch(model, test)
        return Outcome(
            accuracy: accuracy, steps: steps, seconds: Date().timeIntervalSince(start),
            processorSeconds: processorTime() - startProcessor, loss: lastLoss)
    }

    static func configuration(embeddingSize: Int, layers: Int, feedForwardSize: Int) -> ModelConfiguration {
        var c = ModelConfiguration()
        c.kind = .transformer
        c.sourceVocabularySize = vocabulary
        c.targetVocabularySize = vocabulary
        c.paddingID = padding
        c.embeddingSize = embeddingSize
        c.heads = 4
        c.feedForwardSize = feedForwardSize
        c.encoderLayers = layers
        c.decoderLayers = layers
        c.dropout = 0
        c.attentionDropout = 0
        c.maximumLength = 64
        return c
    }

    @Test("reverses sequences of length 3–10 (≥ 95% exact match, greedy)")
    func reversesShortSequences() throws {
        let outcome = try Self.train(
            Self.configuration(embeddingSize: 64, layers: 2, feedForwardSize: 128), lengths: 3...10,
            batchSize: 64, maximumSteps: 2000, peakLearningRate: 1e-3, warmupSteps: 200, target: 1, seed: 11)
        print("Transformer reversal 3–10: \(outcome)")
        #expect(outcome.accuracy >= 0.95)
    }

    @Test("reverses sequences of length 15–25 (≥ 90% exact match, greedy)")
    func reversesLongSequences() throws {
        let outcome = try Self.train(
            Self.configuration(embeddingSize: 64, layers: 2, feedForwardSize: 128), lengths: 15...25,
            batchSize: 32, maximumSteps: 3000, peakLearningRate: 1e-3, warmupSteps: 100, target: 0.98, seed: 12)
        print("Transformer reversal 15–25: \(outcome)")
        #expect(outcome.accuracy >= 0.90)
    }
}
