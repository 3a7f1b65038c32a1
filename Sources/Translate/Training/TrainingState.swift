import Seq

/// Where training is: enough, with the checkpoint's weights and optimiser state, to resume
/// exactly as if never interrupted. Stored as JSON in the checkpoint metadata.
public struct TrainingState: Codable, Equatable, Sendable {
    /// Updates done.
    public var step = 0
    /// The current epoch (from 0).
    public var epoch = 0
    /// Batches of the current epoch already consumed.
    public var batchInEpoch = 0
    /// The best value of the early-stopping metric so far.
    public var bestMetric: Double?
    /// Validations in a row without improvement.
    public var validationsWithoutImprovement = 0
    /// The learning-rate scheduler's memory.
    public var scheduler: LearningRateScheduler.State?
    /// Every validation so far, for the learning curve.
    public var validations: [ValidationReport] = []
    /// Mean training loss per logged interval, for the learning curve.
    public var trainingLosses: [LossPoint] = []
    /// Seconds spent training before this run (for resumed runs).
    public var elapsedSeconds: Double = 0

    public init() {}
}

/// A training-loss reading at a step.
public struct LossPoint: Codable, Equatable, Sendable {
    public var step: Int
    public var loss: Double
}

/// The outcome of one validation.
public struct ValidationReport: Codable, Equatable, Sendable {
    public var step: Int
    /// Mean negative log-likelihood per target token (no label smoothing).
    public var loss: Double
    public var perplexity: Double
    public var bleu: Double
    public var chrF: Double
    /// Whether this validation produced a new best checkpoint.
    public var isBest: Bool
    public var seconds: Double

    /// The value of `metric` in this report.
    public func value(of metric: ValidationMetric) -> Double {
        switch metric {
        case .loss: loss
        case .perplexity: perplexity
        case .bleu: bleu
        case .chrf: chrF
        }
    }
}

/// One logged stretch of training steps.
public struct StepReport: Codable, Equatable, Sendable {
    public var step: Int
    public var epoch: Int
    /// Mean label-smoothed loss per target token over the stretch.
    public var loss: Double
    public var learningRate: Double
    public var targetTokensPerSecond: Double
    /// Padding share of all batch positions over the stretch.
    public var paddingRatio: Double
    public var gradientNorm: Double
    /// Estimated seconds to the step limit, when there is one.
    public var secondsRemaining: Double?
}
