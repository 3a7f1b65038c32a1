/// How many decoder steps a search may take for a source sentence.
///
/// A step scores one output position, so a hypothesis ends either with `</s>` after at most
/// `limit − 1` tokens, or is cut after `limit` tokens (`Hypothesis.isFinished == false`).
/// The limit is `min(maximum, ⌊ratio · sourceLength⌋ + offset)`, at least 1.
///
/// `fixed(_:)` makes every hypothesis take exactly that many steps: `</s>` is never generated, so
/// nothing stops early (the speed benchmark's fixed work, through the ordinary search loop).
public struct OutputLength: Equatable, Sendable {
    /// Steps allowed per source token.
    public var ratio: Double
    /// Steps allowed on top of `ratio · sourceLength`.
    public var offset: Int
    /// The absolute cap on steps, whatever the source length.
    public var maximum: Int
    /// When set, exactly this many steps for every sentence, with `</s>` forbidden.
    public var fixedSteps: Int?

    public init(ratio: Double = 2, offset: Int = 10, maximum: Int = 256) {
        precondition(ratio >= 0 && offset >= 0 && maximum >= 1, "output length needs ratio ≥ 0, offset ≥ 0, maximum ≥ 1")
        self.ratio = ratio
        self.offset = offset
        self.maximum = maximum
        self.fixedSteps = nil
    }

    /// Exactly `steps` decoder steps per sentence, never stopping at `</s>`.
    public static func fixed(_ steps: Int) -> OutputLength {
        precondition(steps >= 1, "fixed output length needs at least one step")
        var length = OutputLength(ratio: 0, offset: steps, maximum: steps)
        length.fixedSteps = steps
        return length
    }

    /// The number of decoder steps allowed for a source of `sourceLength` tokens.
    public func limit(sourceLength: Int) -> Int {
        if let fixedSteps { return fixedSteps }
        let scaled = Int((ratio * Double(sourceLength)).rounded(.down)) + offset
        return Swift.max(1, Swift.min(maximum, scaled))
    }
}
