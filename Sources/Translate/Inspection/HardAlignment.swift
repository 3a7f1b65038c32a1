import Text

/// A hard word alignment read off cross-attention: each target piece is linked to the source
/// piece it attends to most (the argmax of its row), as in the attention-based alignments of
/// Bahdanau et al. (2015, §5.2.1) and Garg et al. (2019, "Jointly Learning to Align and Translate
/// with Transformer Models", §2).
///
/// The `</s>` step predicts no target piece and so gets no link; an empty source gives no links.
/// `pharaoh` is the `source-target` format of fast_align and Moses (`0-0 1-2 2-1`, counted from 0).
public struct HardAlignment: Equatable, Sendable {
    /// One target piece linked to one source piece.
    public struct Link: Equatable, Sendable {
        public var source: Int
        public var target: Int
        /// The attention weight of the link.
        public var weight: Float

        public init(source: Int, target: Int, weight: Float) {
            self.source = source
            self.target = target
            self.weight = weight
        }
    }

    /// One link per target piece, in target order.
    public var links: [Link]

    /// The argmax of the first `targetLength` rows of a cross-attention view (ties: the first
    /// source piece).
    public init(_ view: AttentionView, targetLength: Int) {
        precondition(view.kind == .cross, "hard alignments come from cross-attention, not \(view.kind.rawValue)")
        precondition(targetLength <= view.rows, "\(targetLength) target pieces but \(view.rows) rows")
        links = []
        guard view.columns > 0 else { return }
        for target in 0..<targetLength {
            var best = 0
            for source in 1..<view.columns where view[target, source] > view[target, best] { best = source }
            links.append(Link(source: best, target: target, weight: view[target, best]))
        }
    }

    /// The alignment from `inspection`'s cross-attention of `layer` (default: the last) and `head`
    /// (default: the mean over heads).
    public init(_ inspection: AttentionInspection, layer: Int? = nil, head: AttentionHead = .mean) throws {
        self.init(try inspection.view(.cross, layer: layer, head: head), targetLength: inspection.targetPieces.count)
    }

    /// `i-j` pairs (source `i`, target `j`) separated by spaces, in target order.
    public var pharaoh: String {
        links.map { "\($0.source)-\($0.target)" }.joined(separator: " ")
    }

    /// The links between words rather than pieces, deduplicated, sorted by source then target: a
    /// piece ending in the subword continuation mark `@@` belongs to the same word as the next piece.
    public func wordLinks(sourcePieces: [String], targetPieces: [String]) -> [(source: Int, target: Int)] {
        let sourceWords = Self.wordIndices(sourcePieces), targetWords = Self.wordIndices(targetPieces)
        var seen = Set<[Int]>()
        var pairs: [(source: Int, target: Int)] = []
        for link in links where link.source < sourceWords.count && link.target < targetWords.count {
            let pair = [sourceWords[link.source], targetWords[link.target]]
            if seen.insert(pair).inserted { pairs.append((pair[0], pair[1])) }
        }
        return pairs.sorted { ($0.source, $0.target) < ($1.source, $1.target) }
    }

    /// Word-level `i-j` pairs (see `wordLinks`).
    public func wordPharaoh(sourcePieces: [String], targetPieces: [String]) -> String {
        wordLinks(sourcePieces: sourcePieces, targetPieces: targetPieces).map { "\($0.source)-\($0.target)" }.joined(separator: " ")
    }

    /// The word index of each piece: a piece ending in `@@` continues into the next one.
    public static func wordIndices(_ pieces: [String]) -> [Int] {
        var word = 0
        return pieces.map { piece in
            defer { if !piece.hasSuffix(Tokenizer.continuation) { word += 1 } }
            return word
        }
    }
}
