import Foundation
import Seq
import Text

/// What the trainer reports as it goes.
public enum TrainingEvent {
    case message(String)
    case step(StepReport)
    case validation(ValidationReport)
}

/// Why training ended.
public enum StopReason: String, Codable, Sendable {
    case stepLimit, epochLimit, timeLimit, earlyStopping, interrupted
}

/// The outcome of `Trainer.run`.
public struct TrainingSummary: Codable, Sendable {
    public var reason: StopReason
    public var steps: Int
    public var epochs: Int
    public var seconds: Double
    public var best: ValidationReport?
    public var last: ValidationReport?
}

/// `parley train`: trains the model of a prepared model directory, validating, checkpointing and
/// stopping early as its configuration says.
///
/// The loop knows nothing of the model family: it calls the teacher-forced `forward` of
/// `EncoderDecoder` and `GreedySearch` for validation translations.
public final class Trainer {
    public let configuration: ExperimentConfiguration
    public let directory: ModelDirectory
    public let model: any EncoderDecoder
    public let sourceTokenizer: Tokenizer
    public let targetTokenizer: Tokenizer
    public private(set) var state = TrainingState()
    /// Set (from any thread) to stop after the current step, saving `last`.
    public let stopRequest = StopRequest()

    let parameters: ParameterList
    let optimizer: Optimizer
    var scheduler: LearningRateScheduler
    let generator: RandomGenerator
    let corpus: EncodedCorpus
    let batcher: Batcher
    let devSources: [String]
    let devTargets: [String]

    /// Opens a prepared model directory; with `resume`, continues from its `last` checkpoint.
    ///
    /// - Throws: `ConfigurationError`, `CorpusError`, `CheckpointError` or the tokeniser's errors, naming the file.
    public init(directory url: URL, resume: Bool = false, overrides: [String] = []) throws {
        directory = ModelDirectory(url)
        guard directory.isPrepared else {
            throw ConfigurationError(file: url.path, "not a prepared model directory (run `parley prepare CONFIG` first)")
        }
        configuration = try ExperimentConfiguration.load(from: directory.configuration, overrides: overrides)
        sourceTokenizer = try Tokenizer(contentsOf: directory.sourceTokenizer)
        targetTokenizer = try Tokenizer(contentsOf: directory.targetTokenizer)
        corpus = try EncodedCorpus(contentsOf: directory.trainIDs)
        var invalid: [String] = []
        devSources = try ParallelCorpus.readLines(directory.devSource, invalid: &invalid)
        devTargets = try ParallelCorpus.readLines(directory.devTarget, invalid: &invalid)

        let training = configuration.training
        GEMM.setThreadCount(training.threads)
        generator = RandomGenerator(seed: training.seed)
        do {
            model = try configuration.model.makeModel(generator: generator)
        } catch {
            throw ConfigurationError(file: directory.configuration.path, "model: \(error)")
        }
        parameters = ParameterList(model)
        optimizer = Self.makeOptimizer(training, parameters: parameters)
        if let problem = training.schedule.problem {
            throw ConfigurationError(file: directory.configuration.path, "training.schedule: \(problem)")
        }
        scheduler = LearningRateScheduler(training.schedule)
        batcher = Batcher(batchTokens: training.batchTokens, seed: training.seed)
        guard training.batchTokens > 0, training.accumulation > 0, training.validationInterval > 0, training.logInterval > 0 else {
            throw ConfigurationError(file: directory.configuration.path, "training: batchTokens, accumulation, validationInterval and logInterval must be positive")
        }
        if resume {
            guard FileManager.default.fileExists(atPath: directory.lastCheckpoint.path) else {
                throw CheckpointError(.fileNotFound, file: directory.lastCheckpoint)
            }
            let metadata = try Checkpoint.load(from: directory.lastCheckpoint, into: model, optimizer: optimizer)
            guard let stateText = metadata["training"], let data = stateText.data(using: .utf8),
                  let restored = try? JSONDecoder().decode(TrainingState.self, from: data) else {
                throw CheckpointError(.invalidMetadata(key: "training", "missing or unreadable training state"), file: directory.lastCheckpoint)
            }
            state = restored
            if let schedulerState = restored.scheduler { scheduler.state = schedulerState }
            if let random = metadata["random"] { try generator.restore(checkpointDescription: random) }
        }
    }

    static func makeOptimizer(_ training: TrainingConfiguration, parameters: ParameterList) -> Optimizer {
        // Biases and layer-norm gains are not decayed (they do not scale the function).
        let decays: (String) -> Bool = { !$0.hasSuffix(".bias") && !$0.contains("norm") && !$0.contains("Norm") }
        let rate = training.schedule.initialLearningRate
        switch training.optimizer {
        case .sgd:
            return SGD(parameters: parameters, learningRate: rate, momentum: training.momentum,
                       weightDecay: training.weightDecay > 0 ? .l2(training.weightDecay) : .none, decays: decays)
        case .adam:
            return Adam(parameters: parameters, learningRate: rate, beta1: training.beta1, beta2: training.beta2,
                        weightDecay: training.weightDecay > 0 ? .l2(training.weightDecay) : .none, decays: decays)
        case .adamw:
            return AdamW(parameters: parameters, learningRate: rate, beta1: training.beta1, beta2: training.beta2,
                         weightDecay: training.weightDecay, decays: decays)
        }
    }

    /// Trains until a limit, early stopping or a stop request; returns why it stopped.
    public func run(_ report: (TrainingEvent) -> Void = { _ in }) throws -> TrainingSummary {
        let training = configuration.training
        let log = try JSONLinesLog(url: directory.log)
        let started = Date()
        let elapsedBefore = state.elapsedSeconds
        func elapsed() -> Double { elapsedBefore + Date().timeIntervalSince(started) }
        report(.message("\(configuration.model.kind.rawValue) model, \(parameters.count) parameters, \(corpus.count) training pairs"
            + (state.step > 0 ? ", resuming at step \(state.step)" : "")))

        var stretch = (loss: 0.0, tokens: 0, padding: 0, positions: 0, steps: 0, start: Date(), norm: 0.0)
        var reason: StopReason? = nil
        var pendingBatches = 0
        model.setTraining(true)
        parameters.zeroGradients()

        epochs: while reason == nil {
            if training.maximumEpochs > 0 && state.epoch >= training.maximumEpochs { reason = .epochLimit; break }
            let batches = batcher.batches(of: corpus, epoch: state.epoch)
            while state.batchInEpoch < batches.count {
                if stopRequest.isSet { reason = .interrupted; break epochs }
                let batch = batcher.batch(batches[state.batchInEpoch], of: corpus)
                state.batchInEpoch += 1
                let loss = forwardLoss(batch, smoothing: training.labelSmoothing) * (1 / Float(training.accumulation))
                loss.backward()
                stretch.loss += Double(loss.scalar) * Double(training.accumulation) * Double(batch.targetTokens)
                stretch.tokens += batch.targetTokens
                stretch.padding += batch.paddingTokens
                stretch.positions += batch.totalTokens
                pendingBatches += 1
                if pendingBatches < training.accumulation { continue }
                pendingBatches = 0

                let norm = training.clipNorm > 0 ? parameters.clipGradientNorm(training.clipNorm) : parameters.gradientNorm()
                stretch.norm += Double(norm)
                scheduler.apply(to: optimizer)
                optimizer.step()
                parameters.zeroGradients()
                state.step += 1
                stretch.steps += 1

                if state.step % training.logInterval == 0 {
                    let seconds = Date().timeIntervalSince(stretch.start)
                    let rate = Double(stretch.tokens) / max(seconds, 1e-9)
                    var remaining: Double? = nil
                    if training.maximumSteps > 0 {
                        remaining = Double(training.maximumSteps - state.step) * seconds / Double(max(stretch.steps, 1))
                    }
                    let stepReport = StepReport(
                        step: state.step, epoch: state.epoch, loss: stretch.loss / Double(max(stretch.tokens, 1)),
                        learningRate: Double(optimizer.learningRate), targetTokensPerSecond: rate,
                        paddingRatio: Double(stretch.padding) / Double(max(stretch.positions, 1)),
                        gradientNorm: stretch.norm / Double(max(stretch.steps, 1)), secondsRemaining: remaining)
                    state.trainingLosses.append(LossPoint(step: state.step, loss: stepReport.loss))
                    try log.append(kind: "train", stepReport)
                    report(.step(stepReport))
                    stretch = (0, 0, 0, 0, 0, Date(), 0)
                }
                if training.maximumSteps > 0 && state.step >= training.maximumSteps { reason = .stepLimit }
                if training.maximumSeconds > 0 && elapsed() >= training.maximumSeconds { reason = .timeLimit }
                if state.step % training.validationInterval == 0 || reason != nil {
                    let validation = try validateAndCheckpoint(elapsed: elapsed(), log: log)
                    report(.validation(validation))
                    if training.patience > 0 && state.validationsWithoutImprovement >= training.patience, reason == nil {
                        reason = .earlyStopping
                    }
                    model.setTraining(true)
                }
                if reason != nil { break epochs }
            }
            if state.batchInEpoch >= batches.count {
                state.epoch += 1
                state.batchInEpoch = 0
            }
        }
        let stop = reason ?? .epochLimit
        if state.validations.last?.step != state.step {
            if stop == .interrupted {
                // Save `last` so that --resume continues from here; validating would delay the exit.
                state.elapsedSeconds = elapsed()
                try saveLast()
            } else {
                // Training ended between validations (an epoch limit): validate the final weights,
                // which also saves `best` (when improved) and `last`.
                report(.validation(try validateAndCheckpoint(elapsed: elapsed(), log: log)))
            }
        }
        model.setTraining(false)
        let best = state.validations.filter(\.isBest).last
        let summary = TrainingSummary(reason: stop, steps: state.step, epochs: state.epoch, seconds: elapsed(),
                                      best: best, last: state.validations.last)
        try log.append(kind: "end", summary)
        report(.message("stopped (\(stop.rawValue)) at step \(state.step), epoch \(state.epoch)"))
        return summary
    }

    /// Label-smoothed mean cross-entropy of one batch, recorded for backward.
    func forwardLoss(_ batch: TrainingBatch, smoothing: Float) -> Tensor {
        let (logits, _) = model.forward(source: batch.source, targetInput: batch.targetInput)
        let vocabulary = logits.shape.last!
        return Tensor.crossEntropy(logits: logits.reshaped([-1, vocabulary]), targets: batch.targetOutput,
                                   labelSmoothing: smoothing, ignoredIndex: Vocabulary.paddingID)
    }

    /// Validates, records the result, saves `best` (when improved) and `last`.
    func validateAndCheckpoint(elapsed: Double, log: JSONLinesLog) throws -> ValidationReport {
        var validation = validate()
        let metric = configuration.training.earlyStoppingMetric
        let value = validation.value(of: metric)
        let improved: Bool
        if let best = state.bestMetric {
            improved = metric.higherIsBetter ? value > best : value < best
        } else {
            improved = value.isFinite
        }
        if improved {
            state.bestMetric = value
            state.validationsWithoutImprovement = 0
            validation.isBest = true
        } else {
            state.validationsWithoutImprovement += 1
        }
        scheduler.record(metric: Float(value))
        state.validations.append(validation)
        state.elapsedSeconds = elapsed
        if improved { try Checkpoint.save(model, metadata: metadata(), to: directory.bestCheckpoint) }
        try saveLast()
        try log.append(kind: "validation", validation)
        try AtomicFile.write(LearningCurve.svg(losses: state.trainingLosses, validations: state.validations), to: directory.curve)
        return validation
    }

    func saveLast() throws {
        try Checkpoint.save(model, optimizer: optimizer, metadata: metadata(), to: directory.lastCheckpoint)
    }

    private func metadata() -> [String: String] {
        var state = self.state
        state.scheduler = scheduler.state
        let encoded = (try? JSONEncoder().encode(state)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        let model = (try? JSONEncoder().encode(configuration.model)).flatMap { String(data: $0, encoding: .utf8) } ?? "{}"
        return ["training": encoded, "random": generator.checkpointDescription, "model": model, "format": "parley-1"]
    }

    /// Dev loss and perplexity (teacher-forced, no smoothing) and BLEU/chrF of greedy translations.
    public func validate() -> ValidationReport {
        let started = Date()
        model.setTraining(false)
        let sourceIDs = devSources.map(sourceTokenizer.encode)
        let targetIDs = devTargets.map(targetTokenizer.encode)
        // Loss over length-sorted batches.
        let order = Array(sourceIDs.indices).sorted { (sourceIDs[$0].count, $0) < (sourceIDs[$1].count, $1) }
        var totalLoss = 0.0, tokens = 0
        var hypotheses = [String](repeating: "", count: sourceIDs.count)
        let search = GreedySearch(outputLength: OutputLength(ratio: Double(configuration.decoding.maximumLengthRatio),
                                                             offset: configuration.decoding.maximumLengthOffset),
                                  recordsAttention: false)
        withoutGradients {
            for chunkStart in stride(from: 0, to: order.count, by: 64) {
                let chunk = Array(order[chunkStart..<min(chunkStart + 64, order.count)])
                let batch = TrainingBatch(sources: chunk.map { sourceIDs[$0] }, targets: chunk.map { targetIDs[$0] })
                let (logits, _) = model.forward(source: batch.source, targetInput: batch.targetInput)
                let sum = Tensor.crossEntropy(logits: logits.reshaped([-1, logits.shape.last!]), targets: batch.targetOutput,
                                              ignoredIndex: Vocabulary.paddingID, reduction: .sum)
                totalLoss += Double(sum.scalar)
                tokens += batch.targetTokens
                let decoded = search.decode(chunk.map { sourceIDs[$0] }, model: model)
                for (index, hypothesesOfOne) in zip(chunk, decoded) {
                    hypotheses[index] = targetTokenizer.decode(hypothesesOfOne.first?.tokens ?? [])
                }
            }
        }
        let loss = totalLoss / Double(max(tokens, 1))
        let evaluation = CorpusEvaluation(hypotheses: hypotheses, references: devTargets)
        return ValidationReport(step: state.step, loss: loss, perplexity: Foundation.exp(loss),
                                bleu: evaluation.bleu.score, chrF: evaluation.chrF.score, isBest: false,
                                seconds: Date().timeIntervalSince(started))
    }
}

/// Appends one JSON object per line to a log file.
final class JSONLinesLog {
    private let handle: FileHandle

    init(url: URL) throws {
        if !FileManager.default.fileExists(atPath: url.path) {
            FileManager.default.createFile(atPath: url.path, contents: nil)
        }
        guard let handle = FileHandle(forWritingAtPath: url.path) else {
            throw CorpusError(file: url.path, "cannot open the training log for writing")
        }
        handle.seekToEndOfFile()
        self.handle = handle
    }

    deinit { try? handle.close() }

    func append<T: Encodable>(kind: String, _ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var object = try JSONSerialization.jsonObject(with: encoder.encode(value)) as? [String: Any] ?? [:]
        object["event"] = kind
        object["time"] = ISO8601DateFormatter().string(from: Date())
        var line = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        line.append(10)
        handle.write(line)
    }
}
