import Seq
import Text

/// One training batch: padded source, decoder input (`<s>` + target) and expected output (target + `</s>`).
public struct TrainingBatch {
    public var source: TokenBatch
    public var targetInput: TokenBatch
    /// Expected ids, `batch × targetInput.length`, padding where nothing is expected.
    public var targetOutput: [Int]
    /// Real (non-padding) target tokens.
    public var targetTokens: Int
    /// Padded positions in source and target together.
    public var paddingTokens: Int
    /// All positions in source and target together.
    public var totalTokens: Int

    /// Builds a batch from id sequences (without `<s>`/`</s>`).
    public init(sources: [[Int]], targets: [[Int]]) {
        source = TokenBatch(sources, paddingID: Vocabulary.paddingID)
        targetInput = TokenBatch(targets.map { [Vocabulary.startID] + $0 }, paddingID: Vocabulary.paddingID)
        let outputs = TokenBatch(targets.map { $0 + [Vocabulary.endID] }, paddingID: Vocabulary.paddingID)
        targetOutput = outputs.ids
        targetTokens = outputs.lengths.reduce(0, +)
        totalTokens = source.ids.count + outputs.ids.count
        paddingTokens = totalTokens - source.lengths.reduce(0, +) - targetTokens
    }
}

/// Groups pair indices into batches of about `batchTokens` padded tokens, pairs of similar
/// length together (so padding stays low), in an order reproducible from the seed and epoch.
public struct Batcher {
    public let batchTokens: Int
    public let seed: UInt64

    public init(batchTokens: Int, seed: UInt64) {
        self.batchTokens = batchTokens
        self.seed = seed
    }

    /// The batches of one epoch, each a list of pair indices.
    ///
    /// Pairs are shuffled, cut into pools of 100 batches' worth, sorted by length inside each
    /// pool and cut into batches; the batches are shuffled again.
    public func batches(of corpus: EncodedCorpus, epoch: Int) -> [[Int]] {
        var generator = RandomGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(epoch))
        var order = Array(0..<corpus.count)
        order.shuffle(using: &generator)
        let meanLength = Swift.max(1, (0..<Swift.min(corpus.count, 1000)).reduce(0) { $0 + corpus.targetLength($1) } / Swift.max(1, Swift.min(corpus.count, 1000)))
        let poolSize = Swift.max(1000, 100 * batchTokens / (meanLength + 1))
        var batches: [[Int]] = []
        for poolStart in stride(from: 0, to: order.count, by: poolSize) {
            let pool = order[poolStart..<Swift.min(poolStart + poolSize, order.count)].sorted {
                let a = (corpus.targetLength($0), corpus.sourceLength($0)), b = (corpus.targetLength($1), corpus.sourceLength($1))
                return a != b ? a < b : $0 < $1
            }
            var current: [Int] = []
            var longest = 0
            for index in pool {
                let length = Swift.max(corpus.sourceLength(index), corpus.targetLength(index) + 1)
                let grown = Swift.max(longest, length)
                if !current.isEmpty && grown * (current.count + 1) > batchTokens {
                    batches.append(current)
                    current = []
                    longest = 0
                }
                current.append(index)
                longest = Swift.max(longest, length)
            }
            if !current.isEmpty { batches.append(current) }
        }
        batches.shuffle(using: &generator)
        return batches
    }

    /// The batch of the given pair indices.
    public func batch(_ indices: [Int], of corpus: EncodedCorpus) -> TrainingBatch {
        TrainingBatch(sources: indices.map(corpus.source), targets: indices.map(corpus.target))
    }
}
