import Foundation
import Seq

/// The three benchmark configurations of `../shared/bench/CONFIGS.md`, shared with the PyTorch
/// and CTranslate2 peer scripts: vocabulary 8000 (one embedding for source and target), ids 0, 1,
/// 2 for padding, `<s>` and `</s>`, random tokens from `3..<8000`.
public enum BenchmarkModel: String, CaseIterable, Sendable {
    /// Elman (tanh) RNN 256 → 256 encoder and decoder, output 256 → 8000, no attention.
    case rnn
    /// Bidirectional LSTM encoder (256 per direction), LSTM decoder 512 over `[embedding; context]`,
    /// additive attention 256, output over `[s_i; c_i]` 1024 → 8000 (Bahdanau et al. 2015).
    case bahdanau
    /// Post-norm Transformer: d 256, 4 heads, feed-forward 1024 (ReLU), 3 + 3 layers, sinusoidal
    /// positions, dropout 0.1, one embedding for source, target and output (tied).
    case transformer

    /// The vocabulary of every configuration.
    public static let vocabularySize = 8000
    /// `<pad>`, `<s>`, `</s>` as the peers number them (there is no `<unk>`: it is never forbidden).
    public static let specialTokens = SpecialTokens(padding: 0, unknown: 3, beginOfSentence: 1, endOfSentence: 2)

    /// The Parley configuration with the peer's shapes.
    ///
    /// The peers' `rnn` and `bahdanau` have no dropout, so neither has it here; the Transformer
    /// has dropout 0.1 on embeddings, residual branches and attention weights, as the peer.
    public var configuration: ModelConfiguration {
        var c = ModelConfiguration()
        c.kind = self == .rnn ? .rnn : self == .bahdanau ? .bahdanau : .transformer
        c.sourceVocabularySize = Self.vocabularySize
        c.targetVocabularySize = Self.vocabularySize
        c.paddingID = Self.specialTokens.padding
        c.embeddingSize = 256
        c.hiddenSize = 256
        c.encoderLayers = self == .transformer ? 3 : 1
        c.decoderLayers = self == .transformer ? 3 : 1
        c.shareSourceTargetEmbeddings = true
        switch self {
        case .rnn:
            c.dropout = 0
        case .bahdanau:
            c.decoderHiddenSize = 512
            c.attentionSize = 256
            c.attentionScoring = .additive
            c.encoderCell = .lstm
            c.dropout = 0
        case .transformer:
            c.heads = 4
            c.feedForwardSize = 1024
            c.activation = .relu
            c.normalization = .post
            c.positionEncoding = .sinusoidal
            c.dropout = 0.1
            c.attentionDropout = 0.1
            c.tieOutputEmbedding = true
        }
        return c
    }

    /// The peer's (PyTorch) parameter count. Parley folds the two LSTM/RNN biases
    /// (`b_ih + b_hh`) into one and its additive attention has no query bias, so its own count
    /// is slightly lower for the recurrent models; the products computed are the same.
    public var peerParameterCount: Int {
        switch self {
        case .rnn: 4_367_168
        case .bahdanau: 14_451_520
        case .transformer: 7_577_600
        }
    }
}

/// One training-step measurement.
public struct TrainingMeasurement: Sendable {
    public var parameterCount: Int
    /// Per timed step, in seconds.
    public var stepSeconds: [Double]
    /// Losses of the first and the last step (warm-up included).
    public var firstLoss: Float, lastLoss: Float
    /// Resident set size after building the model and the batch, before the first step (MiB).
    public var residentBeforeMiB: Double
    /// The peak resident set size of the process while training (MiB; `VmHWM`, reset before building).
    public var peakResidentMiB: Double

    public var medianSeconds: Double { median(stepSeconds) }
    public var targetTokensPerSecond: Double { Double(ModelBenchmark.batchSize * ModelBenchmark.targetLength) / medianSeconds }
}

/// One decoding measurement.
public struct DecodingMeasurement: Sendable {
    /// 1 for greedy search.
    public var beam: Int
    public var batch: Int
    /// Per timed call (encoding and 20 decoder steps), in seconds.
    public var callSeconds: [Double]

    public var medianSeconds: Double { median(callSeconds) }
    public var sentencesPerSecond: Double { Double(batch) / medianSeconds }
}

/// The weight-reading floor of a batch-1 decoding step (`WeightStream`): the step's weight
/// matrices times one row (greedy) or a beam's rows, back to back, nothing else.
public struct StepFloorMeasurement: Sendable {
    /// Rows multiplied: the beam width.
    public var rows: Int
    /// Bytes of the weight matrices a step multiplies.
    public var bytes: Int
    /// Per timed pass over them, in seconds.
    public var passSeconds: [Double]

    public var medianSeconds: Double { median(passSeconds) }
    public var gigabytesPerSecond: Double { Double(bytes) / medianSeconds / 1e9 }
    /// Sentences per second at batch 1 if a sentence were only its 20 steps' products (no
    /// encoder, no search): what no decoding at this beam width through this kernel can pass here.
    public var ceiling: Double { 1 / (Double(ModelBenchmark.targetLength) * medianSeconds) }
}

/// The measurements behind `parley bench models`, following the protocol of
/// `../shared/bench/CONFIGS.md` so that the figures compare with the peer scripts':
///
/// - **training step**: forward (teacher-forced), cross-entropy with label smoothing 0.1 over all
///   1280 target tokens, backward, Adam (lr 1e-4) update, on one fixed batch of 64 pairs of
///   length 20 (random ids, no padding); dropout active where the model has it; 3 warm-up steps,
///   then the timed ones;
/// - **decoding**: `GreedySearch` / `BeamSearch` (the code `parley translate` runs), encoding plus
///   exactly 20 decoder steps (`OutputLength.fixed(20)`, no stop at `</s>`), without recording
///   attention; warm-up twice, then at least 5 calls and until `decodeSeconds` have accumulated.
public struct ModelBenchmark {
    public static let batchSize = 64
    public static let sourceLength = 20
    public static let targetLength = 20

    public let model: BenchmarkModel
    /// Timed training steps after the 3 warm-up ones.
    public var timedSteps: Int
    /// Timed decoding seconds to accumulate per case (at least 5 calls, at most 200).
    public var decodeSeconds: Double

    public init(model: BenchmarkModel, timedSteps: Int = 9, decodeSeconds: Double = 2.5) {
        precondition(timedSteps >= 1, "at least one timed step")
        self.model = model
        self.timedSteps = timedSteps
        self.decodeSeconds = decodeSeconds
    }

    /// Builds a model of this configuration (seeded).
    public func makeModel(seed: UInt64 = 0) throws -> any EncoderDecoder {
        try model.configuration.makeModel(generator: RandomGenerator(seed: seed))
    }

    /// Times training steps on a freshly built model; the peak resident set size is reset first,
    /// so the figure belongs to this model and this measurement.
    public func measureTraining() throws -> TrainingMeasurement {
        resetPeakResidentSize()
        let model = try makeModel()
        model.setTraining(true)
        let parameters = ParameterList(model)
        let optimizer = Adam(parameters: parameters, learningRate: 1e-4)
        let generator = RandomGenerator(seed: 1)
        let source = randomBatch(Self.batchSize, Self.sourceLength, generator)
        let target = randomBatch(Self.batchSize, Self.targetLength, generator)
        // Teacher forcing: <s> then the target without its last token; predict the whole target.
        let targetInput = target.map { [BenchmarkModel.specialTokens.beginOfSentence] + $0.dropLast() }
        let sourceBatch = TokenBatch(source, paddingID: BenchmarkModel.specialTokens.padding)
        let inputBatch = TokenBatch(targetInput, paddingID: BenchmarkModel.specialTokens.padding)
        let targetOutput = target.flatMap { $0 }
        let before = residentSetMiB(field: "VmRSS")
        var losses: [Float] = []
        func step() {
            parameters.zeroGradients()
            let (logits, _) = model.forward(source: sourceBatch, targetInput: inputBatch)
            let loss = Tensor.crossEntropy(
                logits: logits.reshaped([-1, BenchmarkModel.vocabularySize]), targets: targetOutput,
                labelSmoothing: 0.1, ignoredIndex: BenchmarkModel.specialTokens.padding)
            loss.backward()
            optimizer.step()
            losses.append(loss.scalar)
        }
        for _ in 0..<3 { step() }
        var times: [Double] = []
        for _ in 0..<timedSteps { times.append(seconds(step)) }
        return TrainingMeasurement(
            parameterCount: parameters.count, stepSeconds: times, firstLoss: losses.first!, lastLoss: losses.last!,
            residentBeforeMiB: before, peakResidentMiB: residentSetMiB(field: "VmHWM"))
    }

    /// The decoding cases of the protocol: greedy at batch 1 and 32, beam 5 at batch 1 and 32.
    public static let decodingCases: [(beam: Int, batch: Int)] = [(1, 1), (1, 32), (5, 1), (5, 32)]

    /// Times one decoding case with `model` (dropout off).
    public func measureDecoding(beam: Int, batch: Int, model: any EncoderDecoder) -> DecodingMeasurement {
        model.setTraining(false)
        let sources = randomBatch(batch, Self.sourceLength, RandomGenerator(seed: UInt64(100 + batch)))
        let length = OutputLength.fixed(Self.targetLength)
        let search: any SequenceSearch = beam == 1
            ? GreedySearch(outputLength: length, specialTokens: BenchmarkModel.specialTokens, recordsAttention: false)
            : BeamSearch(width: beam, outputLength: length, specialTokens: BenchmarkModel.specialTokens, recordsAttention: false)
        let check = search.decode(sources, model: model)
        precondition(check.allSatisfy { $0.first?.tokens.count == Self.targetLength },
                     "decoding must produce exactly \(Self.targetLength) tokens per sentence")
        _ = search.decode(sources, model: model)
        var times: [Double] = [], total = 0.0
        while times.count < 5 || (total < decodeSeconds && times.count < 200) {
            let t = seconds { _ = search.decode(sources, model: model) }
            times.append(t)
            total += t
        }
        return DecodingMeasurement(beam: beam, batch: batch, callSeconds: times)
    }

    /// Times the weight-reading floor of a batch-1 decoding step of `model` at beam width `beam`
    /// (1–8 rows) for `decodeSeconds` (at least `minimumPasses` passes); `nil` on the portable
    /// kernel form, which has no panel kernel.
    public func measureStepFloor(model: any EncoderDecoder, beam: Int = 1, minimumPasses: Int = 5) -> StepFloorMeasurement? {
        let weights = Self.stepWeights(model)
        guard let times = WeightStream.passSeconds(weights, rows: beam, seconds: decodeSeconds,
                                                   minimumPasses: minimumPasses) else {
            return nil
        }
        return StepFloorMeasurement(rows: beam, bytes: WeightStream.bytes(weights), passSeconds: times)
    }

    /// The weight matrices `[outputs, inputs]` a batch-1 decoding step of `model` multiplies whole.
    /// Not the embeddings (one row is read), the cross-attention keys and values or the additive
    /// attention's key map (applied once per sentence), or the vectors (biases, norms: a few KB).
    public static func stepWeights(_ model: any EncoderDecoder) -> [Tensor] {
        func matrices(_ layers: [any Layer]) -> [Tensor] { layers.flatMap(\.parameters).map(\.value).filter { $0.rank == 2 } }
        switch model {
        case let t as Transformer:
            let perLayer = t.decoder.layers.flatMap { layer -> [any Layer] in
                let a = layer.selfAttention, c = layer.crossAttention
                return [a.query, a.key, a.value, a.output, c.query, c.output, layer.feedForward.hidden, layer.feedForward.output]
            }
            return matrices(perLayer) + [(t.output?.weight ?? t.targetEmbedding.weight).value]
        case let a as AttentionEncoderDecoder:
            let precomputed = (a.attention as? AdditiveAttention).map { Set($0.key.parameters.map(ObjectIdentifier.init)) } ?? []
            let attention = a.attention.parameters.filter { !precomputed.contains(ObjectIdentifier($0)) }
            return matrices([a.decoder, a.output]) + attention.map(\.value).filter { $0.rank == 2 }
        case let r as RecurrentEncoderDecoder:
            return matrices([r.decoder]) + [(r.output?.weight ?? r.targetEmbedding.weight).value]
        default:
            return []
        }
    }

    private func randomBatch(_ batch: Int, _ length: Int, _ generator: RandomGenerator) -> [[Int]] {
        let first = 3, count = BenchmarkModel.vocabularySize - 3
        return (0..<batch).map { _ in (0..<length).map { _ in first + Int(generator.next() % UInt64(count)) } }
    }
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return .nan }
    let n = sorted.count
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
}

private func seconds(_ body: () -> Void) -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// A field of `/proc/self/status` (`VmRSS`, `VmHWM`) in MiB; 0 where there is no procfs.
public func residentSetMiB(field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix(field + ":") {
        let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Double($0) } ?? 0
        return kib / 1024
    }
    return 0
}

/// Resets the process's peak resident set size (`VmHWM`) to its current size (Linux ≥ 4.0).
func resetPeakResidentSize() {
    if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
        handle.write("5".data(using: .utf8)!)
        try? handle.close()
    }
}
