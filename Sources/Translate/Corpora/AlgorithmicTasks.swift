/// Synthetic sequence tasks for smoke tests and learning tests: copy, reverse and sort a sequence
/// of symbols (`a` … `t` by default), space-separated.
public enum AlgorithmicTask: String, CaseIterable, Sendable {
    case copy, reverse, sort

    /// The target sequence for `source`.
    public func target(for source: [String]) -> [String] {
        switch self {
        case .copy: return source
        case .reverse: return source.reversed()
        case .sort: return source.sorted()
        }
    }
}

/// Generates source/target sequences of an `AlgorithmicTask`, deterministically from a seed.
///
/// Sequence `i` depends only on `(seed, i)`; lengths are uniform in `lengths` and symbols uniform
/// over the first `vocabularySize` lowercase letters.
public struct AlgorithmicTaskGenerator: Sendable {
    public let task: AlgorithmicTask
    public let seed: UInt64
    public let vocabularySize: Int
    public let lengths: ClosedRange<Int>

    public init(task: AlgorithmicTask, seed: UInt64, vocabularySize: Int = 20, lengths: ClosedRange<Int> = 2...10) {
        precondition((1...26).contains(vocabularySize), "vocabularySize must be 1…26 (letters a…z)")
        precondition(lengths.lowerBound >= 1, "sequences have at least one symbol")
        self.task = task
        self.seed = seed
        self.vocabularySize = vocabularySize
        self.lengths = lengths
    }

    /// The symbols: `a`, `b`, … (sorted order is alphabetical).
    public var symbols: [String] {
        (0..<vocabularySize).map { String(UnicodeScalar(UInt8(ascii: "a") + UInt8($0))) }
    }

    /// Sequence `index` as space-separated (source, target).
    public func pair(at index: Int) -> (source: String, target: String) {
        var random = SplitMix64(seed: seed, index: index)
        let symbols = self.symbols
        let length = lengths.lowerBound + random.below(lengths.count)
        let source = (0..<length).map { _ in random.pick(symbols) }
        return (source.joined(separator: " "), task.target(for: source).joined(separator: " "))
    }

    /// Train/dev/test splits of distinct sources (dev first, then test, then train), so that no
    /// dev or test sequence occurs in train.
    public func splits(train: Int, dev: Int, test: Int) -> CorpusSplits {
        let total = train + dev + test
        var all: [(source: String, target: String)] = []
        all.reserveCapacity(total)
        var seen = Set<String>()
        var index = 0
        while all.count < total {
            let p = pair(at: index)
            index += 1
            precondition(index < 100 * total + 10_000, "too few distinct sequences for \(total) pairs")
            if seen.insert(p.source).inserted { all.append(p) }
        }
        return CorpusSplits(train: Array(all[(dev + test)...]), dev: Array(all[..<dev]),
                            test: Array(all[dev..<(dev + test)]))
    }
}
