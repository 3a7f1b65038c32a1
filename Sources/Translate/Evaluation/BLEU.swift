import Foundation

/// Corpus BLEU (Papineni et al., 2002, "BLEU: a Method for Automatic Evaluation of Machine
/// Translation", §2) exactly as sacreBLEU 2.x computes it by default.
///
/// Defaults reproduced: one reference per sentence, `13a` tokenisation (`Tokenizer13a`) after
/// trimming trailing whitespace, cased unless `lowercase`, n-grams up to 4, clipped counts summed
/// over the corpus, brevity penalty `exp(1 − r/c)` when `c < r`, and the `exp` smoothing of
/// mteval-v13a (Chen and Cherry, 2014, method 3): the k-th order with no match gets precision
/// `1 / (2^k · total)`. With no match at any order the score is 0; an order with no n-gram at all
/// (every hypothesis shorter than n) counts as precision 0 and so makes the score 0.
public enum BLEU {
    /// The highest n-gram order.
    public static let maxOrder = 4

    /// Corpus BLEU of `hypotheses` against `references` (one reference per hypothesis).
    ///
    /// - Precondition: `hypotheses.count == references.count`.
    public static func corpusScore(hypotheses: [String], references: [String], lowercase: Bool = false) -> BLEUScore {
        precondition(
            hypotheses.count == references.count,
            "BLEU: \(hypotheses.count) hypotheses but \(references.count) references")
        var vocabulary = TokenVocabulary()
        var matches = [Int](repeating: 0, count: maxOrder)
        var totals = [Int](repeating: 0, count: maxOrder)
        var hypothesisLength = 0
        var referenceLength = 0
        var referenceCounts: [NGram: Int] = [:]
        var hypothesisCounts: [NGram: Int] = [:]
        for (hypothesis, reference) in zip(hypotheses, references) {
            let hypothesisIDs = vocabulary.ids(of: hypothesis, lowercase: lowercase)
            let referenceIDs = vocabulary.ids(of: reference, lowercase: lowercase)
            hypothesisLength += hypothesisIDs.count
            referenceLength += referenceIDs.count
            count(referenceIDs, into: &referenceCounts)
            count(hypothesisIDs, into: &hypothesisCounts)
            for (ngram, count) in hypothesisCounts {
                totals[ngram.order - 1] += count
                if let referenceCount = referenceCounts[ngram] {
                    matches[ngram.order - 1] += min(count, referenceCount)
                }
            }
        }
        return score(
            matches: matches, totals: totals, hypothesisLength: hypothesisLength,
            referenceLength: referenceLength, lowercase: lowercase)
    }

    /// BLEU from corpus statistics (sacreBLEU's `compute_bleu` with `smooth_method='exp'`).
    static func score(matches: [Int], totals: [Int], hypothesisLength: Int, referenceLength: Int, lowercase: Bool) -> BLEUScore {
        var brevityPenalty = 1.0
        if hypothesisLength < referenceLength {
            brevityPenalty = hypothesisLength > 0 ? exp(1 - Double(referenceLength) / Double(hypothesisLength)) : 0
        }
        var precisions = [Double](repeating: 0, count: maxOrder)
        var score = 0.0
        if matches.contains(where: { $0 > 0 }) {
            var smoothing = 1.0
            for order in 0..<maxOrder {
                guard totals[order] > 0 else { break }
                if matches[order] == 0 {
                    smoothing *= 2
                    precisions[order] = 100 / (smoothing * Double(totals[order]))
                } else {
                    precisions[order] = 100 * Double(matches[order]) / Double(totals[order])
                }
            }
            // sacreBLEU floors log(0) at -9999999999 rather than -inf.
            let logSum = precisions.reduce(0.0) { $0 + ($1 == 0 ? -9_999_999_999 : log($1)) }
            score = brevityPenalty * exp(logSum / Double(maxOrder))
        }
        return BLEUScore(
            score: score, matches: matches, totals: totals, precisions: precisions,
            brevityPenalty: brevityPenalty, hypothesisLength: hypothesisLength,
            referenceLength: referenceLength, signature: MetricSignature.bleu(lowercase: lowercase))
    }

    /// Counts every n-gram of order 1…`maxOrder` in `ids` (the dictionary is cleared first).
    private static func count(_ ids: [Int32], into counts: inout [NGram: Int]) {
        counts.removeAll(keepingCapacity: true)
        for order in 1...maxOrder where ids.count >= order {
            for start in 0...(ids.count - order) {
                counts[NGram(ids[start..<start + order]), default: 0] += 1
            }
        }
    }
}

/// A word n-gram (order 1…4) of token ids; unused slots are -1.
private struct NGram: Hashable {
    var a: Int32, b: Int32 = -1, c: Int32 = -1, d: Int32 = -1

    init(_ ids: ArraySlice<Int32>) {
        var index = ids.startIndex
        a = ids[index]
        index += 1
        if index < ids.endIndex { b = ids[index]; index += 1 }
        if index < ids.endIndex { c = ids[index]; index += 1 }
        if index < ids.endIndex { d = ids[index] }
    }

    var order: Int { d >= 0 ? 4 : c >= 0 ? 3 : b >= 0 ? 2 : 1 }
}

/// Interns 13a tokens (compared as code points, like Python strings) as integer ids.
private struct TokenVocabulary {
    private var ids: [[UInt32]: Int32] = [:]

    mutating func ids(of line: String, lowercase: Bool) -> [Int32] {
        let points = MetricText.codePoints(line, lowercase: lowercase)
        return Tokenizer13a.tokens(MetricText.trimmingTrailingSpace(points)).map { token in
            let key = Array(token)
            if let id = ids[key] { return id }
            let id = Int32(ids.count)
            ids[key] = id
            return id
        }
    }
}
