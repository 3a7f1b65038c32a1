import Foundation

/// Text ⇄ ids, the whole pipeline in one value: normalisation, lossless pre-tokenisation,
/// subword segmentation and vocabulary lookup, and back to natural text.
///
/// A model directory carries its own tokeniser (`save(to:)` writes `tokenizer.json`,
/// `codes.bpe` and `vocabulary.txt`), so translation and evaluation run exactly the steps
/// used in training. Pieces follow two conventions: a word glued to the previous one (no space
/// between) starts with `￭` (U+FFED), and a subword that does not end its word ends with `@@`
/// (subword-nmt's separator); so `"L'homme dort."` may become `L' ￭hom@@ me dort ￭.`, and
/// `decode(encode(s)) == normalize(s)` whenever no piece is unknown.
///
/// Copies share a locked word cache, so a tokeniser can be used from several threads.
public struct Tokenizer: Sendable {
    /// The settings.
    public let configuration: TokenizerConfiguration
    /// The BPE merges (empty in `character` and `word` mode).
    public let codes: BPECodes
    /// The pieces and their ids.
    public let vocabulary: Vocabulary

    let normalizer: Normalizer
    let preTokenizer: PreTokenizer
    let encoder: BytePairEncoder
    let wordCache = WordIDCache()
    /// For each id: its text without `@@`, and whether it continues into the next piece.
    let decodeTable: [(text: String, continues: Bool)]

    /// The file names inside a tokeniser directory.
    public static let configurationFile = "tokenizer.json"
    /// The BPE codes file (subword-nmt format).
    public static let codesFile = "codes.bpe"
    /// The vocabulary file.
    public static let vocabularyFile = "vocabulary.txt"

    /// The suffix of a subword that continues into the next one.
    public static let continuation = "@@"

    /// Creates a tokeniser from its parts.
    public init(configuration: TokenizerConfiguration, codes: BPECodes = BPECodes(), vocabulary: Vocabulary) {
        self.configuration = configuration
        self.codes = codes
        self.vocabulary = vocabulary
        self.normalizer = configuration.normalizer
        self.preTokenizer = configuration.preTokenizer
        self.encoder = BytePairEncoder(codes: codes, separator: Self.continuation)
        self.decodeTable = vocabulary.pieces.map(Self.decodedPiece)
    }

    static func decodedPiece(_ piece: String) -> (text: String, continues: Bool) {
        let bytes = piece.utf8
        if bytes.count > 2, piece.hasSuffix(continuation) {
            return (String(decoding: bytes.dropLast(2), as: UTF8.self), true)
        }
        return (piece, false)
    }

    // MARK: - Text to ids

    /// Returns `text` normalised (see `Normalizer`).
    public func normalize(_ text: String) -> String {
        normalizer(text)
    }

    /// Returns the pre-tokenised words of `text`, glued ones prefixed with `￭`.
    public func words(_ text: String) -> [String] {
        var words: [String] = []
        forEachWord(text) { words.append($0) }
        return words
    }

    /// Returns the pieces of `text`: its words cut by the subword mode.
    public func pieces(_ text: String) -> [String] {
        var pieces: [String] = []
        forEachWord(text) { pieces.append(contentsOf: self.pieces(ofWord: $0)) }
        return pieces
    }

    /// Returns the ids of the pieces of `text` (no `<s>` or `</s>` added).
    public func encode(_ text: String) -> [Int] {
        var unknown = 0
        return encode(text, unknownCount: &unknown)
    }

    /// Returns the ids of `text`, adding the number of pieces that became `<unk>` to `unknownCount`.
    public func encode(_ text: String, unknownCount: inout Int) -> [Int] {
        var ids: [Int] = []
        var unknown = 0
        let units = normalizer.normalizedUTF16(text)
        var scratch: [UInt16] = []
        // Locals, not `self`: a closure capturing the whole tokeniser copies it per token.
        let (preTokenizer, vocabulary, mode, encoder) = (self.preTokenizer, self.vocabulary, configuration.mode, self.encoder)
        units.withUnsafeBufferPointer { buffer in
            wordCache.withLock { cache in
                var first = true
                preTokenizer.forEachToken(buffer) { range, spaceBefore in
                    let glued = !first && !spaceBefore
                    first = false
                    let slice = UnsafeBufferPointer(rebasing: buffer[range])
                    // Look up without allocating; build the word only on a miss.
                    if let cached = cache[WordKey(borrowing: slice, glued: glued)] {
                        ids.append(contentsOf: cached.ids)
                        unknown += cached.unknown
                        return
                    }
                    scratch.removeAll(keepingCapacity: true)
                    if glued { scratch.append(PreTokenizer.joinerUnit) }
                    scratch.append(contentsOf: slice)
                    var wordUnknown = 0
                    let word = String(decoding: scratch, as: UTF16.self)
                    let wordIDs = vocabulary.ids(for: Self.pieces(ofWord: word, mode: mode, encoder: encoder),
                                                 unknownCount: &wordUnknown)
                    cache[WordKey(owning: slice, glued: glued)] = (wordIDs, wordUnknown)
                    ids.append(contentsOf: wordIDs)
                    unknown += wordUnknown
                }
            }
        }
        unknownCount += unknown
        return ids
    }

    /// Calls `body` with each pre-tokenised word of `text`.
    func forEachWord(_ text: String, _ body: (String) -> Void) {
        let units = normalizer.normalizedUTF16(text)
        var scratch: [UInt16] = []
        let preTokenizer = self.preTokenizer
        units.withUnsafeBufferPointer { buffer in
            var first = true
            preTokenizer.forEachToken(buffer) { range, spaceBefore in
                scratch.removeAll(keepingCapacity: true)
                if !first && !spaceBefore { scratch.append(PreTokenizer.joinerUnit) }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[range]))
                first = false
                body(String(decoding: scratch, as: UTF16.self))
            }
        }
    }

    /// Returns the pieces of one pre-tokenised word.
    public func pieces(ofWord word: String) -> [String] {
        Self.pieces(ofWord: word, mode: configuration.mode, encoder: encoder)
    }

    static func pieces(ofWord word: String, mode: SubwordMode, encoder: BytePairEncoder) -> [String] {
        switch mode {
        case .bpe:
            return encoder.apply(toWords: [word])
        case .word:
            return [word]
        case .character:
            let characters = word.map(String.init)
            return characters.dropLast().map { $0 + continuation } + characters.suffix(1)
        }
    }

    // MARK: - Ids to text

    /// Returns natural text for `ids`: pieces joined into words, words joined with the spaces
    /// they had. `<pad>`, `<s>` and `</s>` are skipped; `<unk>` appears as a word `<unk>`.
    ///
    /// - Precondition: every id is in `0..<vocabulary.count`.
    public func decode(_ ids: [Int]) -> String {
        var detokenizer = Detokenizer()
        for id in ids {
            precondition(id >= 0 && id < decodeTable.count, "id \(id) outside vocabulary of \(decodeTable.count)")
            switch id {
            case Vocabulary.paddingID, Vocabulary.startID, Vocabulary.endID:
                continue
            case Vocabulary.unknownID:
                detokenizer.finishWord()
                detokenizer.append(Vocabulary.specialPieces[Vocabulary.unknownID], continues: false)
            default:
                let entry = decodeTable[id]
                detokenizer.append(entry.text, continues: entry.continues)
            }
        }
        return detokenizer.finish()
    }

    /// Returns natural text for pieces (the inverse of `pieces(_:)` on normalised text).
    public func decode(pieces: [String]) -> String {
        var detokenizer = Detokenizer()
        for piece in pieces {
            let entry = Self.decodedPiece(piece)
            detokenizer.append(entry.text, continues: entry.continues)
        }
        return detokenizer.finish()
    }

    // MARK: - Learning

    /// Learns a tokeniser from one side of a corpus: BPE codes (in `bpe` mode) from its word
    /// counts, then the vocabulary of the pieces it encodes to.
    public static func learn<S: Sequence>(from corpus: S, configuration: TokenizerConfiguration) -> Tokenizer
    where S.Element == String {
        learn(corpora: [(Array(corpus), configuration)], sharedVocabulary: true)[0]
    }

    /// Learns tokenisers for both sides of a parallel corpus with joint BPE codes (learnt from
    /// the word counts of both sides together, Sennrich et al. 2016 §3.2), so a name spelt alike
    /// on both sides is segmented alike. With `sharedVocabulary` both sides also share one
    /// vocabulary (for tied embeddings); otherwise each side gets the vocabulary of its own pieces.
    /// The number of merges comes from `source`'s configuration.
    public static func learnJoint<S: Sequence, T: Sequence>(
        source: S, target: T,
        sourceConfiguration: TokenizerConfiguration, targetConfiguration: TokenizerConfiguration,
        sharedVocabulary: Bool = false
    ) -> (source: Tokenizer, target: Tokenizer) where S.Element == String, T.Element == String {
        let tokenizers = learn(corpora: [(Array(source), sourceConfiguration), (Array(target), targetConfiguration)],
                               sharedVocabulary: sharedVocabulary)
        return (tokenizers[0], tokenizers[1])
    }

    /// Joint learning over any number of sides (one set of codes for all).
    static func learn(corpora: [([String], TokenizerConfiguration)], sharedVocabulary: Bool) -> [Tokenizer] {
        let empty = Vocabulary(pieces: [])
        let blanks = corpora.map { Tokenizer(configuration: $0.1, vocabulary: empty) }
        var perSide: [WordCounter] = []
        var all = WordCounter()
        for (side, (lines, _)) in corpora.enumerated() {
            var counter = WordCounter()
            for line in lines {
                blanks[side].forEachWord(line) { counter.add($0) }
            }
            for (word, count) in counter.counts { all.add(word, count: count) }
            perSide.append(counter)
        }
        let first = corpora[0].1
        let codes = first.mode == .bpe ? BPECodes.learn(wordCounts: all.counts, merges: first.merges) : BPECodes()
        let cutters = corpora.map { Tokenizer(configuration: $0.1, codes: codes, vocabulary: empty) }
        var pieceCounts = perSide.enumerated().map { side, counter -> WordCounter in
            var pieces = WordCounter()
            for (word, count) in counter.counts {
                for piece in cutters[side].pieces(ofWord: word) { pieces.add(piece, count: count) }
            }
            return pieces
        }
        if sharedVocabulary {
            var merged = WordCounter()
            for counter in pieceCounts {
                for (piece, count) in counter.counts { merged.add(piece, count: count) }
            }
            pieceCounts = pieceCounts.map { _ in merged }
        }
        return corpora.enumerated().map { side, corpus in
            let configuration = corpus.1
            let vocabulary = Vocabulary(pieceCounts: pieceCounts[side].counts.map { (piece: $0.word, count: $0.count) },
                                        minimumFrequency: configuration.minimumFrequency,
                                        maximumSize: configuration.maximumVocabularySize)
            return Tokenizer(configuration: configuration, codes: codes, vocabulary: vocabulary)
        }
    }

    // MARK: - Files

    /// Writes `tokenizer.json`, `codes.bpe` and `vocabulary.txt` into `directory` (created if
    /// needed), each atomically.
    public func save(to directory: URL) throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw TextFileError.unwritable(file: directory.path, reason: error.localizedDescription)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let json = try encoder.encode(configuration)
        try TextFile.writeAtomically(json + Data("\n".utf8), to: directory.appendingPathComponent(Self.configurationFile))
        try codes.write(to: directory.appendingPathComponent(Self.codesFile))
        try vocabulary.write(to: directory.appendingPathComponent(Self.vocabularyFile))
    }

    /// Loads a tokeniser saved by `save(to:)`.
    ///
    /// - Throws: `TokenizerError`, `BPECodesError` or `VocabularyError` naming the file at fault.
    public init(contentsOf directory: URL) throws {
        let configurationURL = directory.appendingPathComponent(Self.configurationFile)
        guard let data = FileManager.default.contents(atPath: configurationURL.path) else {
            throw TokenizerError.missingFile(file: configurationURL.path)
        }
        let configuration: TokenizerConfiguration
        do {
            configuration = try JSONDecoder().decode(TokenizerConfiguration.self, from: data)
        } catch let error as DecodingError {
            throw TokenizerError.invalidConfiguration(file: configurationURL.path, error: error)
        }
        let codesURL = directory.appendingPathComponent(Self.codesFile)
        var codes = BPECodes()
        if configuration.mode == .bpe || FileManager.default.fileExists(atPath: codesURL.path) {
            guard FileManager.default.fileExists(atPath: codesURL.path) else {
                throw TokenizerError.missingFile(file: codesURL.path)
            }
            codes = try BPECodes(contentsOf: codesURL)
        }
        let vocabularyURL = directory.appendingPathComponent(Self.vocabularyFile)
        guard FileManager.default.fileExists(atPath: vocabularyURL.path) else {
            throw TokenizerError.missingFile(file: vocabularyURL.path)
        }
        self.init(configuration: configuration, codes: codes, vocabulary: try Vocabulary(contentsOf: vocabularyURL))
    }
}

/// A pre-tokenised word as UTF-16 code units plus its glued flag: owned when stored in the
/// cache, borrowed (no allocation) when looking up.
struct WordKey: Hashable, @unchecked Sendable {
    private let owned: [UInt16]
    private let start: UnsafePointer<UInt16>?
    private let count: Int
    private let glued: Bool

    init(borrowing units: UnsafeBufferPointer<UInt16>, glued: Bool) {
        owned = []
        start = units.baseAddress
        count = units.count
        self.glued = glued
    }

    init(owning units: UnsafeBufferPointer<UInt16>, glued: Bool) {
        owned = Array(units)
        start = nil
        count = units.count
        self.glued = glued
    }

    private func withUnits<R>(_ body: (UnsafeBufferPointer<UInt16>) -> R) -> R {
        if let start { return body(UnsafeBufferPointer(start: start, count: count)) }
        return owned.withUnsafeBufferPointer(body)
    }

    static func == (lhs: WordKey, rhs: WordKey) -> Bool {
        guard lhs.glued == rhs.glued, lhs.count == rhs.count else { return false }
        return lhs.withUnits { a in rhs.withUnits { b in a.elementsEqual(b) } }
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(glued)
        withUnits { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }
}

/// The tokeniser's locked word → ids cache, shared by copies.
final class WordIDCache: @unchecked Sendable {
    private var storage: [WordKey: (ids: [Int], unknown: Int)] = [:]
    private let lock = NSLock()

    func withLock<R>(_ body: (inout [WordKey: (ids: [Int], unknown: Int)]) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&storage)
    }
}

/// Reassembles natural text from pieces: `@@` pieces join the next one into a word, and each
/// word is preceded by a space unless it carries the joiner `￭` or comes first.
struct Detokenizer {
    private var text = ""
    private var word = ""
    private var hasWords = false

    mutating func append(_ piece: String, continues: Bool) {
        word += piece
        if !continues { finishWord() }
    }

    mutating func finishWord() {
        guard !word.isEmpty else { return }
        let (content, glued) = PreTokenizer.splitJoiner(word)
        if hasWords && !glued { text += " " }
        text += content
        hasWords = true
        word = ""
    }

    mutating func finish() -> String {
        finishWord()
        return text
    }
}

/// A tokeniser directory that cannot be loaded.
public enum TokenizerError: Error, LocalizedError {
    /// A required file is absent.
    case missingFile(file: String)
    /// `tokenizer.json` is not a valid configuration.
    case invalidConfiguration(file: String, error: DecodingError)

    public var errorDescription: String? {
        switch self {
        case let .missingFile(file):
            return "\(file): missing tokenizer file"
        case let .invalidConfiguration(file, error):
            let (path, reason): ([CodingKey], String)
            switch error {
            case let .typeMismatch(_, context), let .valueNotFound(_, context),
                 let .keyNotFound(_, context), let .dataCorrupted(context):
                (path, reason) = (context.codingPath, context.debugDescription)
            @unknown default:
                (path, reason) = ([], "\(error)")
            }
            var field = path.map(\.stringValue).joined(separator: ".")
            if case let .keyNotFound(key, _) = error { field = (path + [key]).map(\.stringValue).joined(separator: ".") }
            return "\(file): invalid field '\(field.isEmpty ? "<root>" : field)': \(reason)"
        }
    }
}
