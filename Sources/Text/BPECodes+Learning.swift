/// Learning merges from word frequencies, reproducing `subword-nmt learn-bpe` exactly.
extension BPECodes {
    /// Counts space-separated words in lines as `subword-nmt learn-bpe` does: each line is
    /// stripped of spaces, CR and LF at both ends and split at single spaces; empty words are skipped.
    /// Words are compared by code points (unlike `String`'s `==`), so `"é"` and `"e\u{301}"`
    /// are counted apart; the result lists words in order of first occurrence.
    public static func countWords<S: Sequence>(inLines lines: S) -> [(word: String, count: Int)] where S.Element == String {
        var counter = WordCounter()
        for line in lines {
            var line = line
            line.withUTF8 { bytes in
                for word in PythonText.words(bytes) { counter.add(PythonText.string(word)) }
            }
        }
        return counter.counts
    }

    /// Learns up to `merges` merge operations from word frequencies.
    ///
    /// The most frequent adjacent pair is merged at each step, counts are updated incrementally,
    /// and learning stops early when no pair occurs at least `minimumFrequency` times. A tie in
    /// frequency goes to the pair that is greater in code-point order (left symbol first, then
    /// right), as in subword-nmt. subword-nmt's statistics pruning (pairs below a moving threshold
    /// are set aside and re-read later) and its incremental-update quirks are reproduced step for
    /// step, so on the same word counts the merge list is identical to `subword-nmt learn-bpe -s
    /// merges`, not merely equivalent; word order does not matter.
    ///
    /// - Parameters:
    ///   - wordCounts: How often each word occurs; words are sequences of Unicode scalars, and a
    ///     word listed twice has its counts added.
    ///   - merges: The number of merges to learn (subword-nmt's `--symbols`).
    ///   - minimumFrequency: Stop when the best pair is rarer than this (subword-nmt's default: 2).
    public static func learn<S: Sequence>(wordCounts: S, merges: Int, minimumFrequency: Int = 2) -> BPECodes
    where S.Element == (word: String, count: Int) {
        var learner = BPELearner(wordCounts: wordCounts)
        return BPECodes(merges: learner.learn(merges: merges, minimumFrequency: minimumFrequency), version: .v0_2)
    }
}

/// The state of subword-nmt's learning loop, with symbols interned as integers.
struct BPELearner {
    typealias Pair = UInt64

    var symbols: [String] = []
    var symbolScalars: [[UInt32]] = []
    var symbolHasSpace: [Bool] = []
    var symbolIDs: [ExactString: Int32] = [:]
    var words: [[Int32]] = []
    var frequencies: [Int] = []
    var stats: [Pair: Int] = [:]
    var bigStats: [Pair: Int] = [:]
    var indices: [Pair: [Int32: Int]] = [:]

    init<S: Sequence>(wordCounts: S) where S.Element == (word: String, count: Int) {
        var counter = WordCounter()
        for (word, count) in wordCounts { counter.add(word, count: count) }
        // Python sorts by frequency (descending); the result does not depend on word order, but
        // a fixed order keeps runs reproducible.
        let sorted = counter.counts.enumerated().sorted {
            $0.element.count != $1.element.count ? $0.element.count > $1.element.count : $0.offset < $1.offset
        }.map(\.element)
        for (word, frequency) in sorted where frequency > 0 {
            let scalars = Array(word.unicodeScalars)
            guard !scalars.isEmpty else { continue }
            var symbolsOfWord: [Int32] = []
            symbolsOfWord.reserveCapacity(scalars.count)
            for (index, scalar) in scalars.enumerated() {
                let text = index == scalars.count - 1 ? String(scalar) + BPECodes.endOfWord : String(scalar)
                symbolsOfWord.append(intern(text))
            }
            words.append(symbolsOfWord)
            frequencies.append(frequency)
        }
    }

    mutating func intern(_ text: String) -> Int32 {
        let key = ExactString(text)
        if let id = symbolIDs[key] { return id }
        let id = Int32(symbols.count)
        symbols.append(text)
        symbolScalars.append(text.unicodeScalars.map(\.value))
        symbolHasSpace.append(text.unicodeScalars.contains(where: PythonText.isSpace))
        symbolIDs[key] = id
        return id
    }

    @inline(__always) static func pair(_ left: Int32, _ right: Int32) -> Pair {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }
    @inline(__always) static func left(_ pair: Pair) -> Int32 { Int32(bitPattern: UInt32(pair >> 32)) }
    @inline(__always) static func right(_ pair: Pair) -> Int32 { Int32(bitPattern: UInt32(pair & 0xFFFF_FFFF)) }

    /// Python's `(first, second) > (first', second')` on code points.
    func isGreater(_ a: Pair, _ b: Pair) -> Bool {
        let (al, bl) = (Self.left(a), Self.left(b))
        if al != bl { return symbolScalars[Int(al)].lexicographicallyPrecedes(symbolScalars[Int(bl)]) == false }
        return symbolScalars[Int(Self.right(b))].lexicographicallyPrecedes(symbolScalars[Int(Self.right(a))])
    }

    /// `max(stats, key=lambda x: (stats[x], x))`.
    func mostFrequent(_ table: [Pair: Int]) -> Pair? {
        var best: Pair? = nil
        var bestCount = Int.min
        for (pair, count) in table {
            if count > bestCount || (count == bestCount && isGreater(pair, best!)) {
                best = pair
                bestCount = count
            }
        }
        return best
    }

    mutating func computePairStatistics() {
        for (index, word) in words.enumerated() {
            let frequency = frequencies[index]
            guard word.count > 1 else { continue }
            for position in 1..<word.count {
                let pair = Self.pair(word[position - 1], word[position])
                stats[pair, default: 0] += frequency
                indices[pair, default: [:]][Int32(index), default: 0] += 1
            }
        }
    }

    /// subword-nmt's `prune_stats`: moves pairs rarer than `threshold` from `stats` to `bigStats`.
    mutating func prune(threshold: Double) {
        for (pair, count) in stats where Double(count) < threshold {
            stats[pair] = nil
            if count < 0 {
                bigStats[pair, default: 0] += count
            } else {
                bigStats[pair] = count
            }
        }
    }

    mutating func learn(merges: Int, minimumFrequency: Int) -> [BPECodes.Merge] {
        computePairStatistics()
        bigStats = stats
        var result: [BPECodes.Merge] = []
        guard let first = mostFrequent(stats) else { return result } // subword-nmt fails here
        var threshold = Double(stats[first]!) / 10
        for step in 0..<merges {
            var best = mostFrequent(stats)
            if best == nil || (step > 0 && Double(stats[best!]!) < threshold) {
                prune(threshold: threshold)
                stats = bigStats
                best = mostFrequent(stats)
                guard let best else { break }
                threshold = Double(stats[best]! * step) / (Double(step) + 10000.0)
                prune(threshold: threshold)
            }
            guard let best else { break }
            if (stats[best] ?? 0) < minimumFrequency { break }
            result.append(BPECodes.Merge(symbols[Int(Self.left(best))], symbols[Int(Self.right(best))]))
            let changes = replace(best)
            updateStatistics(best, changes: changes)
            stats[best] = 0
            if step % 100 == 0 { prune(threshold: threshold) }
        }
        return result
    }

    /// subword-nmt's `replace_pair`: rewrites every word that the index lists for `pair`.
    ///
    /// subword-nmt joins the symbols with spaces and substitutes the regular expression
    /// `(?<!\S)left right(?!\S)`; for symbols without white space that is an exact symbol match,
    /// and symbols containing other white space (a tab, U+00A0) get the same looser matching here.
    mutating func replace(_ pair: Pair) -> [(word: Int32, new: [Int32], old: [Int32], frequency: Int)] {
        let (first, second) = (Self.left(pair), Self.right(pair))
        let merged = intern(symbols[Int(first)] + symbols[Int(second)])
        var changes: [(word: Int32, new: [Int32], old: [Int32], frequency: Int)] = []
        guard let entries = indices[pair] else { return changes }
        for (index, count) in entries where count >= 1 {
            let old = words[Int(index)]
            var new: [Int32] = []
            new.reserveCapacity(old.count)
            var position = 0
            var consumedPrefix = 0 // scalars of old[position] already consumed by the previous match
            var pending: [Int32] = [] // symbols being fused by a chain of loose matches
            while position < old.count {
                let symbol = old[position]
                if position + 1 < old.count {
                    let next = old[position + 1]
                    let exact = symbol == first && next == second && consumedPrefix == 0
                    var loose = false
                    if !exact && (symbolHasSpace[Int(symbol)] || symbolHasSpace[Int(next)]) {
                        loose = looseMatch(symbol, next, first, second, consumedPrefix: consumedPrefix)
                    }
                    if exact {
                        new.append(merged)
                        position += 2
                        consumedPrefix = 0
                        continue
                    }
                    if loose {
                        // The separator between symbol and next disappears: they fuse.
                        pending.append(symbol)
                        consumedPrefix = symbolScalars[Int(second)].count
                        position += 1
                        continue
                    }
                }
                if pending.isEmpty {
                    new.append(symbol)
                } else {
                    pending.append(symbol)
                    new.append(intern(pending.map { symbols[Int($0)] }.joined()))
                    pending.removeAll()
                }
                consumedPrefix = 0
                position += 1
            }
            words[Int(index)] = new
            changes.append((index, new, old, frequencies[Int(index)]))
        }
        return changes
    }

    /// Whether `(?<!\S)first second(?!\S)` matches across the separator between `symbol` and `next`.
    func looseMatch(_ symbol: Int32, _ next: Int32, _ first: Int32, _ second: Int32, consumedPrefix: Int) -> Bool {
        let a = symbolScalars[Int(symbol)], b = symbolScalars[Int(next)]
        let f = symbolScalars[Int(first)], s = symbolScalars[Int(second)]
        guard a.count >= f.count, b.count >= s.count, a.count - f.count >= consumedPrefix else { return false }
        guard a.suffix(f.count).elementsEqual(f), b.prefix(s.count).elementsEqual(s) else { return false }
        if a.count > f.count {
            guard PythonText.isSpace(Unicode.Scalar(a[a.count - f.count - 1])!) else { return false }
        }
        if b.count > s.count {
            guard PythonText.isSpace(Unicode.Scalar(b[s.count])!) else { return false }
        }
        return true
    }

    /// subword-nmt's `update_pair_statistics`, including its treatment of overlapping pairs.
    mutating func updateStatistics(_ pair: Pair, changes: [(word: Int32, new: [Int32], old: [Int32], frequency: Int)]) {
        stats[pair] = 0
        indices[pair] = [:]
        let (first, second) = (Self.left(pair), Self.right(pair))
        let merged = symbolIDs[ExactString(symbols[Int(first)] + symbols[Int(second)])]!
        for (index, word, old, frequency) in changes {
            // Remove the pairs around each occurrence of `first second` in the old word.
            var i = 0
            while true {
                guard let found = old[i...].firstIndex(of: first) else { break }
                i = found
                if i < old.count - 1 && old[i + 1] == second {
                    if i > 0 {
                        let previous = Self.pair(old[i - 1], old[i])
                        stats[previous, default: 0] -= frequency
                        indices[previous, default: [:]][index, default: 0] -= 1
                    }
                    if i < old.count - 2 {
                        if old[i + 2] != first || i >= old.count - 3 || old[i + 3] != second {
                            let next = Self.pair(old[i + 1], old[i + 2])
                            stats[next, default: 0] -= frequency
                            indices[next, default: [:]][index, default: 0] -= 1
                        }
                    }
                    i += 2
                } else {
                    i += 1
                }
                if i >= old.count { break }
            }
            // Add the pairs around each occurrence of the merged symbol in the new word.
            i = 0
            while i < word.count {
                guard let found = word[i...].firstIndex(of: merged) else { break }
                i = found
                if i > 0 {
                    let previous = Self.pair(word[i - 1], word[i])
                    stats[previous, default: 0] += frequency
                    indices[previous, default: [:]][index, default: 0] += 1
                }
                if i < word.count - 1 && word[i + 1] != merged {
                    let next = Self.pair(word[i], word[i + 1])
                    stats[next, default: 0] += frequency
                    indices[next, default: [:]][index, default: 0] += 1
                }
                i += 1
            }
        }
    }
}

/// Counts words by exact code points, remembering first-occurrence order.
struct WordCounter {
    private var slots: [ExactString: Int] = [:]
    private(set) var counts: [(word: String, count: Int)] = []

    mutating func add(_ word: String, count: Int = 1) {
        let key = ExactString(word)
        if let slot = slots[key] {
            counts[slot].count += count
        } else {
            slots[key] = counts.count
            counts.append((word, count))
        }
    }
}
