import Foundation

/// Segments words into subword units with BPE codes, exactly as `subword-nmt apply-bpe` does.
///
/// Each word starts as its characters (Unicode scalars), the last one carrying `</w>`; the
/// adjacent pair with the earliest merge in the codes is merged everywhere in the word, and so
/// on until no listed pair remains; `</w>` is then removed. Segmentations are cached per word,
/// so encoding a corpus costs one segmentation per distinct word. The encoder is a value that
/// can be shared across threads (its cache is locked).
public struct BytePairEncoder: Sendable {
    /// The merges applied.
    public let codes: BPECodes
    /// The suffix marking a non-final subword when writing text (subword-nmt's `@@`).
    public let separator: String

    let table: MergeTable
    let cache = SegmentationCache<[String]>()

    /// Creates an encoder for `codes`; `separator` marks non-final units in `apply(toLine:)`.
    public init(codes: BPECodes, separator: String = "@@") {
        self.codes = codes
        self.separator = separator
        self.table = MergeTable(codes)
    }

    /// Returns the subword units of one word, without separators: `"lower"` → `["low", "er"]`.
    public func segment(_ word: String) -> [String] {
        if let cached = cache.value(for: word) { return cached }
        let units = table.segment(word)
        cache.store(units, for: word)
        return units
    }

    /// Returns the units of each word, every non-final unit of a word suffixed with `separator`.
    public func apply(toWords words: [String]) -> [String] {
        var output: [String] = []
        output.reserveCapacity(words.count * 2)
        for word in words where !word.isEmpty {
            let units = segment(word)
            for unit in units.dropLast() { output.append(unit + separator) }
            if let last = units.last { output.append(last) }
        }
        return output
    }

    /// Segments one line of space-separated words, byte for byte like `subword-nmt apply-bpe`:
    /// leading and trailing spaces, CR and LF (including the line's terminator) are kept, runs of
    /// spaces between words become one space, and units are joined by `separator` and a space.
    public func apply(toLine line: String) -> String {
        var line = line
        return line.withUTF8 { bytes -> String in
            var leading = 0
            while leading < bytes.count, PythonText.isStripped(bytes[leading]) { leading += 1 }
            var trailing = 0
            while trailing < bytes.count - leading, PythonText.isStripped(bytes[bytes.count - 1 - trailing]) { trailing += 1 }
            var output = PythonText.string(bytes[0..<leading])
            let words = PythonText.words(bytes).map { PythonText.string($0) }
            output += apply(toWords: words).joined(separator: " ")
            if leading < bytes.count {
                output += PythonText.string(bytes[(bytes.count - trailing)...])
            }
            return output
        }
    }
}

/// The merge ranks of a codes file with symbols interned as integers.
final class MergeTable: Sendable {
    let version: BPECodes.Version
    let symbols: [String]
    let symbolIDs: [ExactString: Int32]
    /// Pair key → (rank, merged symbol); the first occurrence of a repeated merge wins.
    let merges: [UInt64: (rank: Int32, merged: Int32)]
    let endOfWordID: Int32?

    init(_ codes: BPECodes) {
        var symbols: [String] = []
        var ids: [ExactString: Int32] = [:]
        func intern(_ text: String) -> Int32 {
            let key = ExactString(text)
            if let id = ids[key] { return id }
            let id = Int32(symbols.count)
            symbols.append(text)
            ids[key] = id
            return id
        }
        var merges: [UInt64: (rank: Int32, merged: Int32)] = [:]
        for (rank, merge) in codes.merges.enumerated() {
            let key = BPELearner.pair(intern(merge.left), intern(merge.right))
            let merged = intern(merge.left + merge.right)
            if merges[key] == nil { merges[key] = (Int32(rank), merged) }
        }
        self.version = codes.version
        self.symbols = symbols
        self.symbolIDs = ids
        self.merges = merges
        self.endOfWordID = ids[ExactString(BPECodes.endOfWord)]
    }

    /// subword-nmt's `encode` for one word (no glossaries, no vocabulary filter, no dropout).
    func segment(_ word: String) -> [String] {
        let scalars = Array(word.unicodeScalars)
        if scalars.count <= 1 { return scalars.isEmpty ? [] : [word] }
        // Symbols unknown to the codes get negative ids indexing `extra`.
        var extra: [String] = []
        func id(_ text: String) -> Int32 {
            if let id = symbolIDs[ExactString(text)] { return id }
            extra.append(text)
            return -Int32(extra.count)
        }
        var current: [Int32] = []
        current.reserveCapacity(scalars.count + 1)
        switch version {
        case .v0_2:
            for scalar in scalars.dropLast() { current.append(id(String(scalar))) }
            current.append(id(String(scalars.last!) + BPECodes.endOfWord))
        case .v0_1:
            for scalar in scalars { current.append(id(String(scalar))) }
            current.append(id(BPECodes.endOfWord))
        }
        if current.count > Self.longWord {
            current = mergeWithHeap(current)
        } else {
            mergeByScanning(&current)
        }
        var units = current.map { $0 >= 0 ? symbols[Int($0)] : extra[Int(-$0) - 1] }
        if let last = units.last {
            if last == BPECodes.endOfWord {
                units.removeLast()
            } else if last.hasSuffix(BPECodes.endOfWord) {
                units[units.count - 1] = String(last.unicodeScalars.dropLast(4))
            }
        }
        return units
    }
}

extension MergeTable {
    /// Words with more symbols than this are merged with a heap, in O(n log n).
    static let longWord = 32

    /// The merge loop as subword-nmt writes it: find the best-ranked pair present, merge all its
    /// non-overlapping occurrences left to right, repeat. Quadratic, fast for ordinary words.
    func mergeByScanning(_ current: inout [Int32]) {
        var next: [Int32] = []
        next.reserveCapacity(current.count)
        while current.count > 1 {
            var bestRank = Int32.max
            var bestPair: UInt64 = 0
            var bestMerged: Int32 = 0
            for position in 1..<current.count {
                let (left, right) = (current[position - 1], current[position])
                guard left >= 0, right >= 0 else { continue }
                let key = BPELearner.pair(left, right)
                if let entry = merges[key], entry.rank < bestRank {
                    bestRank = entry.rank
                    bestPair = key
                    bestMerged = entry.merged
                }
            }
            if bestRank == Int32.max { break }
            let (left, right) = (BPELearner.left(bestPair), BPELearner.right(bestPair))
            next.removeAll(keepingCapacity: true)
            var position = 0
            while position < current.count {
                if position + 1 < current.count, current[position] == left, current[position + 1] == right {
                    next.append(bestMerged)
                    position += 2
                } else {
                    next.append(current[position])
                    position += 1
                }
            }
            swap(&current, &next)
        }
    }

    /// The same result as `mergeByScanning` in O(n log n), for very long words (a 100,000-character
    /// token must not take quadratic time). Candidate pairs sit in a heap ordered by (rank,
    /// position); all occurrences of the best pair are popped and merged left to right before any
    /// pair the merges created is considered, exactly like one iteration of the scanning loop.
    func mergeWithHeap(_ initial: [Int32]) -> [Int32] {
        let count = initial.count
        var symbol = initial
        var previous = (0..<count).map { Int32($0) - 1 }
        var following = (0..<count).map { $0 + 1 < count ? Int32($0 + 1) : -1 }
        var alive = [Bool](repeating: true, count: count)
        var heap = PairHeap()
        func push(_ position: Int32) {
            let next = following[Int(position)]
            guard next >= 0 else { return }
            let (left, right) = (symbol[Int(position)], symbol[Int(next)])
            guard left >= 0, right >= 0, let entry = merges[BPELearner.pair(left, right)] else { return }
            heap.push(PairHeap.Entry(rank: entry.rank, position: position, left: left, right: right))
        }
        for position in 0..<count { push(Int32(position)) }
        func isValid(_ entry: PairHeap.Entry) -> Bool {
            let position = Int(entry.position)
            guard alive[position], symbol[position] == entry.left else { return false }
            let next = following[position]
            return next >= 0 && symbol[Int(next)] == entry.right
        }
        while let top = heap.pop() {
            guard isValid(top) else { continue }
            let rank = top.rank
            let merged = merges[BPELearner.pair(top.left, top.right)]!.merged
            var touched: [Int32] = []
            var entry: PairHeap.Entry? = top
            while let current = entry {
                if isValid(current) {
                    let position = Int(current.position)
                    let next = Int(following[position])
                    symbol[position] = merged
                    alive[next] = false
                    following[position] = following[next]
                    if following[next] >= 0 { previous[Int(following[next])] = Int32(position) }
                    touched.append(Int32(position))
                }
                entry = heap.peek()?.rank == rank ? heap.pop() : nil
            }
            // New pairs around merged symbols join the heap only now, as in the next scan.
            for position in touched where alive[Int(position)] {
                if previous[Int(position)] >= 0 { push(previous[Int(position)]) }
                push(position)
            }
        }
        var result: [Int32] = []
        var position: Int32 = 0
        while position >= 0 {
            result.append(symbol[Int(position)])
            position = following[Int(position)]
        }
        return result
    }
}

/// A binary min-heap of candidate merges ordered by (rank, position).
struct PairHeap {
    struct Entry {
        var rank: Int32
        var position: Int32
        var left: Int32
        var right: Int32

        func precedes(_ other: Entry) -> Bool {
            rank != other.rank ? rank < other.rank : position < other.position
        }
    }

    private var entries: [Entry] = []

    func peek() -> Entry? { entries.first }

    mutating func push(_ entry: Entry) {
        entries.append(entry)
        var child = entries.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Entry? {
        guard let first = entries.first else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1, right = left + 1
                var smallest = parent
                if left < entries.count, entries[left].precedes(entries[smallest]) { smallest = left }
                if right < entries.count, entries[right].precedes(entries[smallest]) { smallest = right }
                if smallest == parent { break }
                entries.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }
}

/// A locked word → segmentation cache shared by copies of an encoder or tokeniser.
final class SegmentationCache<Value>: @unchecked Sendable {
    private var storage: [ExactString: Value] = [:]
    private let lock = NSLock()

    func value(for key: String) -> Value? {
        lock.lock()
        defer { lock.unlock() }
        return storage[ExactString(key)]
    }

    func store(_ value: Value, for key: String) {
        lock.lock()
        defer { lock.unlock() }
        storage[ExactString(key)] = value
    }

    /// Runs `body` with the storage locked (one lock for many lookups).
    func withLock<R>(_ body: (inout [ExactString: Value]) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&storage)
    }
}
