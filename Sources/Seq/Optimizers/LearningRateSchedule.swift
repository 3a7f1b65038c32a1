import Foundation

/// How the learning rate changes during training; `Codable` so a configuration file can pick one.
///
/// Steps count from 1: step `t` is the `t`-th optimiser update. In a configuration the case is
/// chosen by `kind` and every other field has a default, e.g.
///
///     schedule: {kind: noam, scale: 2, modelSize: 512, warmupSteps: 8000}
///     schedule: {kind: reduceOnPlateau, learningRate: 0.0003, factor: 0.5, patience: 4, mode: max}
public enum LearningRateSchedule: Equatable, Sendable {
    /// The same rate throughout.
    case constant(learningRate: Float)
    /// `learningRate · factor^⌊(t − 1) / interval⌋`: steps 1…interval use `learningRate`, the next
    /// `interval` steps `learningRate · factor`, and so on.
    case stepDecay(learningRate: Float, factor: Float, interval: Int)
    /// Starts at `learningRate` and multiplies it by `factor` (never below `minimum`) once the
    /// validation metric has not improved for more than `patience` evaluations in a row, as
    /// PyTorch's `ReduceLROnPlateau`. An evaluation improves when it beats the best so far by
    /// the relative `threshold` (below `best − |best|·threshold` in `.min` mode, above
    /// `best + |best|·threshold` in `.max` mode). Stateful: see `LearningRateScheduler.record(metric:)`.
    case reduceOnPlateau(learningRate: Float, factor: Float, patience: Int, minimum: Float, mode: PlateauMode, threshold: Float)
    /// `scale · modelSize^−½ · min(t^−½, t · warmupSteps^−³ᐟ²)`: linear warm-up, then decay with
    /// the inverse square root of the step (Vaswani et al. 2017, "Attention Is All You Need", §5.3).
    case noam(scale: Float, modelSize: Int, warmupSteps: Int)
    /// `peak · min(t / warmupSteps, √(warmupSteps / t))`: the Noam shape with the peak rate, reached
    /// at `t = warmupSteps`, given directly.
    case inverseSquareRoot(peak: Float, warmupSteps: Int)

    /// Whether a smaller or a larger validation metric is better (loss vs. BLEU).
    public enum PlateauMode: String, Codable, Sendable {
        /// Smaller is better (loss, perplexity).
        case min
        /// Larger is better (BLEU, accuracy).
        case max
    }

    /// The rate before any step or evaluation.
    public var initialLearningRate: Float {
        switch self {
        case .constant(let rate), .stepDecay(let rate, _, _), .reduceOnPlateau(let rate, _, _, _, _, _): rate
        case .noam, .inverseSquareRoot: learningRate(atStep: 1, plateauRate: 0)
        }
    }

    /// The rate at step `t` ≥ 1; `plateauRate` is the current rate of `.reduceOnPlateau`.
    func learningRate(atStep t: Int, plateauRate: Float) -> Float {
        precondition(t >= 1, "learning-rate steps count from 1, got \(t)")
        let step = Double(t)
        switch self {
        case .constant(let rate):
            return rate
        case .stepDecay(let rate, let factor, let interval):
            return Float(Double(rate) * pow(Double(factor), Double((t - 1) / interval)))
        case .reduceOnPlateau:
            return plateauRate
        case .noam(let scale, let modelSize, let warmupSteps):
            let warmup = Double(warmupSteps)
            return Float(Double(scale) / Double(modelSize).squareRoot() * Swift.min(1 / step.squareRoot(), step / (warmup * warmup.squareRoot())))
        case .inverseSquareRoot(let peak, let warmupSteps):
            let warmup = Double(warmupSteps)
            return Float(Double(peak) * Swift.min(step / warmup, (warmup / step).squareRoot()))
        }
    }

    /// A description of the first invalid field (a negative rate, a factor outside its range, …), or `nil` when all are valid.
    public var problem: String? {
        switch self {
        case .constant(let rate):
            if !(rate >= 0) { return "learningRate must be ≥ 0, got \(rate)" }
        case .stepDecay(let rate, let factor, let interval):
            if !(rate >= 0) { return "learningRate must be ≥ 0, got \(rate)" }
            if !(factor > 0 && factor <= 1) { return "factor must be in (0, 1], got \(factor)" }
            if interval < 1 { return "interval must be ≥ 1, got \(interval)" }
        case .reduceOnPlateau(let rate, let factor, let patience, let minimum, _, let threshold):
            if !(rate >= 0) { return "learningRate must be ≥ 0, got \(rate)" }
            if !(factor > 0 && factor < 1) { return "factor must be in (0, 1), got \(factor)" }
            if patience < 0 { return "patience must be ≥ 0, got \(patience)" }
            if !(minimum >= 0) { return "minimum must be ≥ 0, got \(minimum)" }
            if !(threshold >= 0) { return "threshold must be ≥ 0, got \(threshold)" }
        case .noam(let scale, let modelSize, let warmupSteps):
            if !(scale > 0) { return "scale must be > 0, got \(scale)" }
            if modelSize < 1 { return "modelSize must be ≥ 1, got \(modelSize)" }
            if warmupSteps < 1 { return "warmupSteps must be ≥ 1, got \(warmupSteps)" }
        case .inverseSquareRoot(let peak, let warmupSteps):
            if !(peak >= 0) { return "peak must be ≥ 0, got \(peak)" }
            if warmupSteps < 1 { return "warmupSteps must be ≥ 1, got \(warmupSteps)" }
        }
        return nil
    }
}

extension LearningRateSchedule: Codable {
    private enum Kind: String, Codable, CaseIterable {
        case constant, stepDecay, reduceOnPlateau, noam, inverseSquareRoot
    }

    private enum CodingKeys: String, CodingKey {
        case kind, learningRate, factor, interval, patience, minimum, mode, threshold, scale, modelSize, warmupSteps, peak
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let kindName = try c.decode(String.self, forKey: .kind)
        guard let kind = Kind(rawValue: kindName) else {
            let known = Kind.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c, debugDescription: "unknown learning-rate schedule '\(kindName)' (known: \(known))")
        }
        func field<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        switch kind {
        case .constant:
            self = .constant(learningRate: try field(.learningRate, 1e-3))
        case .stepDecay:
            self = .stepDecay(
                learningRate: try field(.learningRate, 1e-3), factor: try field(.factor, 0.5), interval: try field(.interval, 1))
        case .reduceOnPlateau:
            self = .reduceOnPlateau(
                learningRate: try field(.learningRate, 1e-3), factor: try field(.factor, 0.5),
                patience: try field(.patience, 5), minimum: try field(.minimum, 0),
                mode: try field(.mode, .min), threshold: try field(.threshold, 1e-4))
        case .noam:
            self = .noam(scale: try field(.scale, 1), modelSize: try field(.modelSize, 512), warmupSteps: try field(.warmupSteps, 4000))
        case .inverseSquareRoot:
            self = .inverseSquareRoot(peak: try field(.peak, 5e-4), warmupSteps: try field(.warmupSteps, 4000))
        }
        if let problem {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "\(kindName) schedule: \(problem)")
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .constant(let rate):
            try c.encode(Kind.constant, forKey: .kind)
            try c.encode(rate, forKey: .learningRate)
        case .stepDecay(let rate, let factor, let interval):
            try c.encode(Kind.stepDecay, forKey: .kind)
            try c.encode(rate, forKey: .learningRate)
            try c.encode(factor, forKey: .factor)
            try c.encode(interval, forKey: .interval)
        case .reduceOnPlateau(let rate, let factor, let patience, let minimum, let mode, let threshold):
            try c.encode(Kind.reduceOnPlateau, forKey: .kind)
            try c.encode(rate, forKey: .learningRate)
            try c.encode(factor, forKey: .factor)
            try c.encode(patience, forKey: .patience)
            try c.encode(minimum, forKey: .minimum)
            try c.encode(mode, forKey: .mode)
            try c.encode(threshold, forKey: .threshold)
        case .noam(let scale, let modelSize, let warmupSteps):
            try c.encode(Kind.noam, forKey: .kind)
            try c.encode(scale, forKey: .scale)
            try c.encode(modelSize, forKey: .modelSize)
            try c.encode(warmupSteps, forKey: .warmupSteps)
        case .inverseSquareRoot(let peak, let warmupSteps):
            try c.encode(Kind.inverseSquareRoot, forKey: .kind)
            try c.encode(peak, forKey: .peak)
            try c.encode(warmupSteps, forKey: .warmupSteps)
        }
    }
}

/// Follows a `LearningRateSchedule` through training: the rate for each step, and for
/// `.reduceOnPlateau` the memory of past validation metrics.
///
/// Before each update: `scheduler.apply(to: optimizer)`. After each validation:
/// `scheduler.record(metric:)`. Save `state` with a checkpoint to resume where training stopped.
public struct LearningRateScheduler: Sendable {
    /// The schedule followed.
    public let schedule: LearningRateSchedule
    /// What a scheduler remembers between evaluations (only `.reduceOnPlateau` changes it).
    public var state: State

    /// What a scheduler remembers between evaluations.
    public struct State: Codable, Equatable, Sendable {
        /// The current rate of a `.reduceOnPlateau` schedule (the initial rate for the others).
        public var learningRate: Float
        /// The best metric recorded so far, `nil` before the first.
        public var best: Float?
        /// Evaluations in a row without improvement.
        public var evaluationsWithoutImprovement: Int
    }

    /// A scheduler at the start of training.
    public init(_ schedule: LearningRateSchedule) {
        if let problem = schedule.problem { preconditionFailure("invalid learning-rate schedule: \(problem)") }
        self.schedule = schedule
        self.state = State(learningRate: schedule.initialLearningRate, best: nil, evaluationsWithoutImprovement: 0)
    }

    /// The rate for step `step` (≥ 1, the `step`-th update).
    public func learningRate(atStep step: Int) -> Float {
        schedule.learningRate(atStep: step, plateauRate: state.learningRate)
    }

    /// Sets the optimiser's rate for its next step, `optimizer.stepCount + 1`.
    public func apply(to optimizer: Optimizer) {
        optimizer.learningRate = learningRate(atStep: optimizer.stepCount + 1)
    }

    /// Records a validation metric; returns whether the rate was reduced (only `.reduceOnPlateau`
    /// ever reduces). A NaN metric counts as no improvement.
    @discardableResult
    public mutating func record(metric: Float) -> Bool {
        guard case .reduceOnPlateau(_, let factor, let patience, let minimum, let mode, let threshold) = schedule else {
            return false
        }
        let improved: Bool
        if let best = state.best {
            switch mode {
            case .min: improved = metric < best - abs(best) * threshold
            case .max: improved = metric > best + abs(best) * threshold
            }
        } else {
            improved = !metric.isNaN
        }
        if improved {
            state.best = metric
            state.evaluationsWithoutImprovement = 0
            return false
        }
        state.evaluationsWithoutImprovement += 1
        guard state.evaluationsWithoutImprovement > patience else { return false }
        state.evaluationsWithoutImprovement = 0
        let reduced = Swift.max(state.learningRate * factor, minimum)
        defer { state.learningRate = reduced }
        return reduced < state.learningRate
    }
}
