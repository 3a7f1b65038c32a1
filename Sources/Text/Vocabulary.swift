import Foundation

/// A bijection between pieces (words, subwords or characters) and integer ids.
///
/// Ids 0–3 are always the specials `<pad>`, `<unk>`, `<s>` and `</s>`; the other pieces follow
/// by descending count (ties in code-point order). A vocabulary file has one `piece<TAB>count`
/// line per id, specials first; loading checks every line and names the file, line and field of
/// a problem. Pieces are compared by code points, so `"é"` and `"e\u{301}"` are different pieces.
public struct Vocabulary: Sendable, Equatable {
    /// The id of `<pad>`, which fills batches to equal length.
    public static let paddingID = 0
    /// The id of `<unk>`, which stands for any piece not in the vocabulary.
    public static let unknownID = 1
    /// The id of `<s>`, which starts a sequence.
    public static let startID = 2
    /// The id of `</s>`, which ends a sequence.
    public static let endID = 3
    /// The special pieces, in id order.
    public static let specialPieces = ["<pad>", "<unk>", "<s>", "</s>"]

    /// The pieces in id order.
    public let pieces: [String]
    /// How often each piece occurred when the vocabulary was built (0 for the specials).
    public let counts: [Int]
    let ids: [ExactString: Int]

    /// The number of pieces, specials included.
    public var count: Int { pieces.count }

    /// Creates a vocabulary from pieces that follow the four specials, with their counts.
    ///
    /// - Precondition: `pieces` holds no special and no duplicate; `counts` matches in length.
    public init(pieces: [String], counts: [Int]? = nil) {
        let counts = counts ?? [Int](repeating: 0, count: pieces.count)
        precondition(counts.count == pieces.count, "one count per piece")
        var ids: [ExactString: Int] = [:]
        for (index, piece) in (Self.specialPieces + pieces).enumerated() {
            precondition(ids.updateValue(index, forKey: ExactString(piece)) == nil, "duplicate piece \(piece)")
        }
        self.pieces = Self.specialPieces + pieces
        self.counts = [0, 0, 0, 0] + counts
        self.ids = ids
    }

    /// Builds a vocabulary from how often pieces occur.
    ///
    /// - Parameters:
    ///   - pieceCounts: Pieces and counts; a piece listed twice has its counts added, and a piece
    ///     spelled like a special is ignored.
    ///   - minimumFrequency: Pieces occurring fewer times are left out (they become `<unk>`).
    ///   - maximumSize: The largest `count`, specials included; the rarest pieces are cut.
    public init<S: Sequence>(pieceCounts: S, minimumFrequency: Int = 1, maximumSize: Int? = nil)
    where S.Element == (piece: String, count: Int) {
        var counter = WordCounter()
        for (piece, count) in pieceCounts { counter.add(piece, count: count) }
        let specials = Set(Self.specialPieces.map(ExactString.init))
        var kept = counter.counts.filter { $0.count >= minimumFrequency && !specials.contains(ExactString($0.word)) }
        kept.sort { a, b in
            a.count != b.count ? a.count > b.count
                : a.word.unicodeScalars.lexicographicallyPrecedes(b.word.unicodeScalars)
        }
        if let maximumSize { kept = Array(kept.prefix(max(0, maximumSize - Self.specialPieces.count))) }
        self.init(pieces: kept.map(\.word), counts: kept.map(\.count))
    }

    /// Builds a vocabulary from encoded sequences of pieces (see `init(pieceCounts:...)`).
    public init<S: Sequence>(counting sequences: S, minimumFrequency: Int = 1, maximumSize: Int? = nil)
    where S.Element: Sequence, S.Element.Element == String {
        var counter = WordCounter()
        for sequence in sequences {
            for piece in sequence { counter.add(piece) }
        }
        self.init(pieceCounts: counter.counts.map { (piece: $0.word, count: $0.count) },
                  minimumFrequency: minimumFrequency, maximumSize: maximumSize)
    }

    /// Returns the id of `piece`, or `Vocabulary.unknownID` if it is not in the vocabulary.
    public func id(for piece: String) -> Int {
        ids[ExactString(piece)] ?? Self.unknownID
    }

    /// Returns whether `piece` is in the vocabulary.
    public func contains(_ piece: String) -> Bool {
        ids[ExactString(piece)] != nil
    }

    /// Returns the piece with id `id`.
    ///
    /// - Precondition: `0 <= id < count`.
    public func piece(for id: Int) -> String {
        precondition(id >= 0 && id < pieces.count, "id \(id) outside vocabulary of \(pieces.count)")
        return pieces[id]
    }

    /// Returns the ids of `pieces`, adding the number that were unknown to `unknownCount`.
    public func ids(for pieces: [String], unknownCount: inout Int) -> [Int] {
        pieces.map { piece in
            if let id = ids[ExactString(piece)] { return id }
            unknownCount += 1
            return Self.unknownID
        }
    }

    // MARK: - Files

    /// The file's contents: `piece<TAB>count` per line in id order.
    public var fileContents: String {
        var text = ""
        for (piece, count) in zip(pieces, counts) {
            text += piece
            text += "\t"
            text += String(count)
            text += "\n"
        }
        return text
    }

    /// Writes the vocabulary file atomically (temporary file, then rename).
    public func write(to url: URL) throws {
        try TextFile.writeAtomically(fileContents, to: url)
    }

    /// Reads a vocabulary file written by `write(to:)` or by hand.
    ///
    /// Each line is `piece<TAB>count` (the last tab separates, so a piece may contain tabs); the
    /// first four lines must be the specials in order; pieces must be unique; counts are
    /// non-negative integers.
    ///
    /// - Throws: `VocabularyError` naming the file, line and field at fault.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw VocabularyError.unreadable(file: url.path, reason: error.localizedDescription)
        }
        try self.init(data: data, file: url.path)
    }

    /// Parses the bytes of a vocabulary file; `file` names it in errors.
    public init(data: Data, file: String) throws {
        var lines = Array(data).split(separator: 0x0A, omittingEmptySubsequences: false)
        if let last = lines.last, last.isEmpty { lines.removeLast() }
        var pieces: [String] = []
        var counts: [Int] = []
        var firstLine: [ExactString: Int] = [:]
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            var line = rawLine[...]
            if line.last == 0x0D { line = line.dropLast() }
            let (piece, valid) = TextFile.decode(line)
            guard valid else { throw VocabularyError.invalidUTF8(file: file, line: number) }
            guard let tab = line.lastIndex(of: 0x09) else {
                throw VocabularyError.missingField(file: file, line: number, field: "count", text: piece)
            }
            let pieceText = String(decoding: line[..<tab], as: UTF8.self)
            let countText = String(decoding: line[(tab + 1)...], as: UTF8.self)
            guard !pieceText.isEmpty else {
                throw VocabularyError.invalidField(file: file, line: number, field: "piece", text: pieceText, reason: "empty piece")
            }
            guard let count = Int(countText), count >= 0 else {
                throw VocabularyError.invalidField(file: file, line: number, field: "count", text: countText,
                                                   reason: "not a non-negative integer")
            }
            if index < Self.specialPieces.count, pieceText != Self.specialPieces[index] {
                throw VocabularyError.missingSpecial(file: file, line: number, expected: Self.specialPieces[index], found: pieceText)
            }
            let key = ExactString(pieceText)
            if let earlier = firstLine[key] {
                throw VocabularyError.duplicatePiece(file: file, line: number, piece: pieceText, firstLine: earlier)
            }
            firstLine[key] = number
            pieces.append(pieceText)
            counts.append(count)
        }
        if pieces.count < Self.specialPieces.count {
            let missing = Self.specialPieces[pieces.count]
            throw VocabularyError.missingSpecial(file: file, line: pieces.count + 1, expected: missing, found: nil)
        }
        self.pieces = pieces
        self.counts = counts
        self.ids = Dictionary(uniqueKeysWithValues: pieces.enumerated().map { (ExactString($0.element), $0.offset) })
    }

    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.counts == rhs.counts && lhs.pieces.count == rhs.pieces.count
            && zip(lhs.pieces, rhs.pieces).allSatisfy { ExactString($0) == ExactString($1) }
    }
}

/// A vocabulary file that cannot be used; each case names the file and line.
public enum VocabularyError: Error, LocalizedError, Equatable {
    /// The file could not be read.
    case unreadable(file: String, reason: String)
    /// A line is not valid UTF-8.
    case invalidUTF8(file: String, line: Int)
    /// A line lacks a field (there is no tab before the count).
    case missingField(file: String, line: Int, field: String, text: String)
    /// A field has an unusable value.
    case invalidField(file: String, line: Int, field: String, text: String, reason: String)
    /// One of `<pad>` `<unk>` `<s>` `</s>` is not on its line (1–4).
    case missingSpecial(file: String, line: Int, expected: String, found: String?)
    /// A piece appears twice.
    case duplicatePiece(file: String, line: Int, piece: String, firstLine: Int)

    public var errorDescription: String? {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read vocabulary: \(reason)"
        case let .invalidUTF8(file, line):
            return "\(file):\(line): vocabulary line is not valid UTF-8"
        case let .missingField(file, line, field, text):
            return "\(file):\(line): missing field '\(field)' in '\(text)' (expected piece<TAB>count)"
        case let .invalidField(file, line, field, text, reason):
            return "\(file):\(line): invalid \(field) '\(text)': \(reason)"
        case let .missingSpecial(file, line, expected, found):
            let what = found.map { "found '\($0)'" } ?? "file ends"
            return "\(file):\(line): expected special piece '\(expected)' on line \(line), \(what) (specials <pad> <unk> <s> </s> must be lines 1-4)"
        case let .duplicatePiece(file, line, piece, firstLine):
            return "\(file):\(line): duplicate piece '\(piece)' (first on line \(firstLine))"
        }
    }
}
