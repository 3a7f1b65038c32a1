import Foundation
import Seq

/// Which attention of a translation: decoder-to-source, decoder self-attention or encoder
/// self-attention (Vaswani et al., 2017, "Attention Is All You Need", §3.2.3 lists the three uses).
public enum AttentionKind: String, CaseIterable, Sendable, Codable {
    /// Decoder steps (rows) over source pieces (columns). Bahdanau models have one layer, one head.
    case cross
    /// Decoder steps (rows) over the decoder's inputs `<s> y₀ … y_{i-1}` (columns); causal.
    case decoderSelf = "decoder-self"
    /// Source pieces over source pieces.
    case encoderSelf = "encoder-self"

    /// The name used in titles: "cross-attention", "decoder self-attention", ….
    public var title: String {
        switch self {
        case .cross: "cross-attention"
        case .decoderSelf: "decoder self-attention"
        case .encoderSelf: "encoder self-attention"
        }
    }
}

/// One head of a layer, or the mean over the layer's heads.
public enum AttentionHead: Equatable, Hashable, Sendable, CustomStringConvertible {
    case index(Int)
    /// The element-wise mean of every head (rows still sum to 1).
    case mean

    /// Parses `"mean"` or a head number (counted from 0).
    public init?(_ text: String) {
        if text.lowercased() == "mean" { self = .mean; return }
        guard let index = Int(text), index >= 0 else { return nil }
        self = .index(index)
    }

    public var description: String {
        switch self {
        case .index(let h): "head \(h)"
        case .mean: "mean of heads"
        }
    }
}

/// Why an attention view or export could not be made. User errors (a layer that does not exist,
/// a model without attention), so they are thrown, with a one-line description.
public enum InspectionError: LocalizedError, Equatable {
    /// The translation was made with `recordsAttention == false`.
    case notRecorded
    /// The model has no attention of this kind (`model` names the family when known).
    case unavailable(AttentionKind, model: String?)
    case layerOutOfRange(AttentionKind, layer: Int, layers: Int)
    case headOutOfRange(head: Int, heads: Int)
    /// An export file name whose extension is not one of `AttentionFormat`.
    case unknownFormat(String)

    public var errorDescription: String? {
        switch self {
        case .notRecorded:
            return "no attention was recorded for this translation"
        case .unavailable(let kind, let model):
            let family = model.map { "this \($0) model" } ?? "this model"
            if model == "rnn" || model == "lstm" {
                return "\(family) has no attention (its decoder only sees the encoder's final state); train a bahdanau or transformer model to inspect attention"
            }
            if kind != .cross && model == "bahdanau" {
                return "\(family) has no \(kind.title) (Bahdanau models have cross-attention only: --kind cross)"
            }
            return "\(family) has no \(kind.title)"
        case .layerOutOfRange(let kind, let layer, let layers):
            return "layer \(layer) does not exist: \(kind.title) has \(layers) layer\(layers == 1 ? "" : "s") (0…\(max(0, layers - 1)))"
        case .headOutOfRange(let head, let heads):
            return "head \(head) does not exist: the model has \(heads) head\(heads == 1 ? "" : "s") (0…\(max(0, heads - 1))) or mean"
        case .unknownFormat(let name):
            return "cannot tell the format of \(name): use .html, .svg, .json, .csv or .npy"
        }
    }
}

/// The attention of one translation with the labels of its axes: what every view, heatmap and
/// export is made from.
///
/// Rows of `cross` and `decoderSelf` are decoder steps: step `i` predicted output position `i`,
/// so the rows are the target pieces followed by `</s>` when the hypothesis finished (a hypothesis
/// cut at the length limit has no `</s>` row). Columns of `decoderSelf` are the decoder's inputs:
/// `<s>` then the target pieces (step `i` sees `<s> y₀ … y_{i-1}`, later inputs are masked).
/// Sources carry no `</s>` and no padding: `HypothesisAttention` is already cut to the true length.
public struct AttentionInspection {
    public var source: String
    public var translation: String
    /// The source pieces (columns of cross-attention).
    public var sourcePieces: [String]
    /// The produced target pieces, without `<s>` and `</s>`.
    public var targetPieces: [String]
    /// Whether the hypothesis ended with `</s>` (and so has a `</s>` row).
    public var isFinished: Bool
    public var attention: HypothesisAttention
    /// The model family (`"transformer"`, `"bahdanau"`, …) for error messages, when known.
    public var modelName: String?

    /// The label of the end-of-sentence row.
    public static let endOfSentence = "</s>"
    /// The label of the decoder's first input.
    public static let beginOfSentence = "<s>"

    public init(source: String, translation: String, sourcePieces: [String], targetPieces: [String],
                isFinished: Bool, attention: HypothesisAttention, modelName: String? = nil) {
        self.source = source
        self.translation = translation
        self.sourcePieces = sourcePieces
        self.targetPieces = targetPieces
        self.isFinished = isFinished
        self.attention = attention
        self.modelName = modelName
    }

    /// The attention of `translation`.
    ///
    /// - Throws: `InspectionError.notRecorded` when it was translated without `recordsAttention`,
    ///   `.unavailable(.cross, …)` when the model has no attention at all (rnn, lstm).
    public init(_ translation: Translation, modelName: String? = nil) throws {
        guard let attention = translation.attention else { throw InspectionError.notRecorded }
        self.init(source: translation.source, translation: translation.text, sourcePieces: translation.sourcePieces,
                  targetPieces: translation.pieces, isFinished: translation.isFinished, attention: attention,
                  modelName: modelName)
        guard !availableKinds.isEmpty else { throw InspectionError.unavailable(.cross, model: modelName) }
    }

    /// Decoder steps: the target pieces, then `</s>` when the hypothesis finished.
    public var stepLabels: [String] {
        targetPieces + (isFinished ? [Self.endOfSentence] : [])
    }

    /// The kinds this model recorded, in `AttentionKind.allCases` order.
    public var availableKinds: [AttentionKind] {
        AttentionKind.allCases.filter { !layers(of: $0).isEmpty }
    }

    /// Per layer `[heads, rows, columns]` (empty when the model has none of `kind`).
    public func layers(of kind: AttentionKind) -> [Tensor] {
        switch kind {
        case .cross: attention.cross
        case .decoderSelf: attention.decoderSelf
        case .encoderSelf: attention.encoderSelf
        }
    }

    /// The number of heads of `kind` (0 when unavailable).
    public func heads(of kind: AttentionKind) -> Int {
        layers(of: kind).first?.shape[0] ?? 0
    }

    /// The row labels of `kind`'s matrices.
    public func rowLabels(_ kind: AttentionKind) -> [String] {
        switch kind {
        case .cross, .decoderSelf: stepLabels
        case .encoderSelf: sourcePieces
        }
    }

    /// The column labels of `kind`'s matrices.
    public func columnLabels(_ kind: AttentionKind) -> [String] {
        switch kind {
        case .cross, .encoderSelf: return sourcePieces
        case .decoderSelf:
            // Step i reads the input at position i: <s> for step 0, then y₀, y₁, …
            return Array(([Self.beginOfSentence] + targetPieces).prefix(stepLabels.count))
        }
    }

    /// Checks that `layer` and `head` exist for `kind`.
    public func validate(_ kind: AttentionKind, layer: Int?, head: AttentionHead?) throws {
        let layers = layers(of: kind)
        guard !layers.isEmpty else { throw InspectionError.unavailable(kind, model: modelName) }
        if let layer, !(0..<layers.count).contains(layer) {
            throw InspectionError.layerOutOfRange(kind, layer: layer, layers: layers.count)
        }
        if case .index(let h)? = head, !(0..<heads(of: kind)).contains(h) {
            throw InspectionError.headOutOfRange(head: h, heads: heads(of: kind))
        }
    }

    /// One matrix with its labels.
    ///
    /// - Parameter layer: counted from 0; `nil` is the last layer.
    public func view(_ kind: AttentionKind = .cross, layer: Int? = nil, head: AttentionHead = .mean) throws -> AttentionView {
        try validate(kind, layer: layer, head: head)
        let all = layers(of: kind)
        let layerIndex = layer ?? all.count - 1
        let weights = all[layerIndex]  // [heads, rows, columns]
        let rows = weights.shape[1], columns = weights.shape[2]
        precondition(rows == rowLabels(kind).count && columns == columnLabels(kind).count,
                     "\(kind.rawValue) attention \(weights.shape) does not match \(rowLabels(kind).count) rows × \(columnLabels(kind).count) columns")
        let scalars = weights.scalars, size = rows * columns
        let matrix: [Float]
        switch head {
        case .index(let h):
            matrix = Array(scalars[(h * size)..<((h + 1) * size)])
        case .mean:
            let heads = weights.shape[0]
            var sum = [Float](repeating: 0, count: size)
            for h in 0..<heads {
                for k in 0..<size { sum[k] += scalars[h * size + k] }
            }
            matrix = sum.map { $0 / Float(heads) }
        }
        return AttentionView(kind: kind, layer: layerIndex, layerCount: all.count, head: head, headCount: weights.shape[0],
                             rowLabels: rowLabels(kind), columnLabels: columnLabels(kind), weights: matrix)
    }
}

extension AttentionInspection {
    /// Every view of `kind` (each layer; each head then the mean).
    public func allViews(_ kind: AttentionKind) throws -> [AttentionView] {
        try validate(kind, layer: nil, head: nil)
        var views: [AttentionView] = []
        for layer in layers(of: kind).indices {
            for head in (0..<heads(of: kind)).map(AttentionHead.index) + [.mean] {
                views.append(try view(kind, layer: layer, head: head))
            }
        }
        return views
    }
}

/// One attention matrix `[rows, columns]` of one layer and head (or the mean over heads), with
/// the labels of its rows (queries) and columns (keys).
///
/// Rows are queries: decoder steps for `cross` and `decoderSelf` (the last row is `</s>` when the
/// hypothesis finished), source pieces for `encoderSelf`. Nothing is padding: `isMasked` marks
/// the cells a query could not attend to (decoder self-attention beyond the current step).
public struct AttentionView: Equatable {
    public var kind: AttentionKind
    /// The layer, counted from 0, and the number of layers of this kind.
    public var layer: Int
    public var layerCount: Int
    public var head: AttentionHead
    public var headCount: Int
    public var rowLabels: [String]
    public var columnLabels: [String]
    /// Row-major `[rows, columns]`.
    public var weights: [Float]

    public init(kind: AttentionKind, layer: Int, layerCount: Int, head: AttentionHead, headCount: Int,
                rowLabels: [String], columnLabels: [String], weights: [Float]) {
        precondition(weights.count == rowLabels.count * columnLabels.count,
                     "\(weights.count) weights for \(rowLabels.count) × \(columnLabels.count)")
        self.kind = kind
        self.layer = layer
        self.layerCount = layerCount
        self.head = head
        self.headCount = headCount
        self.rowLabels = rowLabels
        self.columnLabels = columnLabels
        self.weights = weights
    }

    public var rows: Int { rowLabels.count }
    public var columns: Int { columnLabels.count }

    /// The weight of query `row` on key `column`.
    public subscript(row: Int, column: Int) -> Float {
        precondition(row >= 0 && row < rows && column >= 0 && column < columns, "cell (\(row), \(column)) outside \(rows) × \(columns)")
        return weights[row * columns + column]
    }

    /// One row of weights.
    public func row(_ row: Int) -> ArraySlice<Float> {
        weights[(row * columns)..<((row + 1) * columns)]
    }

    /// Whether the query of `row` could not see key `column` (a later decoder input).
    public func isMasked(row: Int, column: Int) -> Bool {
        kind == .decoderSelf && column > row
    }

    /// "cross-attention · layer 1 (of 2) · mean of 4 heads" (layers and heads count from 0).
    public var title: String {
        let heads = switch head {
        case .index(let h): "head \(h) (of \(headCount))"
        case .mean: headCount == 1 ? "1 head" : "mean of \(headCount) heads"
        }
        return "\(kind.title) · layer \(layer) (of \(layerCount)) · \(heads)"
    }
}
