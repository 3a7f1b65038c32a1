/// The ids a search treats specially: it starts every hypothesis with `beginOfSentence`, ends it
/// at `endOfSentence`, and never generates `padding` or `beginOfSentence` (nor `unknown` when asked).
///
/// The defaults are the Text module's `Vocabulary` layout (`<pad>` 0, `<unk>` 1, `<s>` 2, `</s>` 3).
public struct SpecialTokens: Equatable, Sendable {
    /// `<pad>`: fills short sources in a batch; never generated.
    public var padding: Int
    /// `<unk>`: generated unless the search forbids it.
    public var unknown: Int
    /// `<s>`: the first decoder input of every hypothesis; never generated.
    public var beginOfSentence: Int
    /// `</s>`: generating it finishes a hypothesis.
    public var endOfSentence: Int

    public init(padding: Int = 0, unknown: Int = 1, beginOfSentence: Int = 2, endOfSentence: Int = 3) {
        self.padding = padding
        self.unknown = unknown
        self.beginOfSentence = beginOfSentence
        self.endOfSentence = endOfSentence
    }
}
