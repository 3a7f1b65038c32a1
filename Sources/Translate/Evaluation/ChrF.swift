/// Corpus chrF2 (Popović, 2015, "chrF: character n-gram F-score for automatic MT evaluation",
/// §2; β = 2 after Popović, 2016) exactly as sacreBLEU 2.x computes it by default.
///
/// Defaults reproduced: character n-grams of orders 1…6 over code points with all whitespace
/// removed (`space:no`), no word n-grams, one reference, cased unless `lowercase`. Statistics
/// (hypothesis, reference and matched n-grams per order) are summed over the corpus; an order
/// contributes its hypothesis n-grams only for sentences whose reference has n-grams of that
/// order. Precision and recall are averaged over the orders where both the hypothesis and
/// reference counts are positive (sacreBLEU's "effective order", `eff:yes`), then combined as
/// F_β = (1 + β²)·P·R / (β²·P + R), times 100. No usable order, or P + R = 0, gives 0.
public enum ChrF {
    /// The highest character n-gram order.
    public static let characterOrder = 6
    /// The highest word n-gram order (0: chrF, not chrF++).
    public static let wordOrder = 0
    /// Recall is β times as important as precision.
    public static let beta = 2

    /// Corpus chrF2 of `hypotheses` against `references` (one reference per hypothesis).
    ///
    /// - Precondition: `hypotheses.count == references.count`.
    public static func corpusScore(hypotheses: [String], references: [String], lowercase: Bool = false) -> ChrFScore {
        precondition(
            hypotheses.count == references.count,
            "chrF: \(hypotheses.count) hypotheses but \(references.count) references")
        var statistics = [Statistics](repeating: Statistics(), count: characterOrder)
        var referenceCounts: [CharacterNGram: Int] = [:]
        var hypothesisCounts: [CharacterNGram: Int] = [:]
        for (hypothesis, reference) in zip(hypotheses, references) {
            let hypothesisPoints = MetricText.removingSpace(MetricText.codePoints(hypothesis, lowercase: lowercase))
            let referencePoints = MetricText.removingSpace(MetricText.codePoints(reference, lowercase: lowercase))
            for order in 1...characterOrder {
                let referenceTotal = count(referencePoints, order: order, into: &referenceCounts)
                let hypothesisTotal = count(hypothesisPoints, order: order, into: &hypothesisCounts)
                var matched = 0
                for (ngram, count) in hypothesisCounts {
                    if let referenceCount = referenceCounts[ngram] { matched += min(count, referenceCount) }
                }
                statistics[order - 1].hypothesis += referenceTotal > 0 ? hypothesisTotal : 0
                statistics[order - 1].reference += referenceTotal
                statistics[order - 1].matched += matched
            }
        }
        return ChrFScore(
            score: fScore(statistics), characterOrder: characterOrder, wordOrder: wordOrder, beta: beta,
            signature: MetricSignature.chrF(lowercase: lowercase))
    }

    /// N-gram counts of one order, summed over a corpus.
    struct Statistics {
        var hypothesis = 0
        var reference = 0
        var matched = 0
    }

    /// sacreBLEU's `_compute_f_score` without epsilon smoothing.
    static func fScore(_ statistics: [Statistics]) -> Double {
        var averagePrecision = 0.0
        var averageRecall = 0.0
        var effectiveOrder = 0
        for order in statistics where order.hypothesis > 0 && order.reference > 0 {
            averagePrecision += Double(order.matched) / Double(order.hypothesis)
            averageRecall += Double(order.matched) / Double(order.reference)
            effectiveOrder += 1
        }
        guard effectiveOrder > 0 else { return 0 }
        averagePrecision /= Double(effectiveOrder)
        averageRecall /= Double(effectiveOrder)
        guard averagePrecision + averageRecall > 0 else { return 0 }
        // In sacreBLEU's order of operations, so that the result is bit-identical.
        let factor = Double(beta * beta)
        var score = (1 + factor) * averagePrecision * averageRecall
        score /= factor * averagePrecision + averageRecall
        return 100 * score
    }

    /// Counts the n-grams of one order in `points` (the dictionary is cleared first); returns
    /// their number.
    private static func count(_ points: [UInt32], order: Int, into counts: inout [CharacterNGram: Int]) -> Int {
        counts.removeAll(keepingCapacity: true)
        guard points.count >= order else { return 0 }
        for start in 0...(points.count - order) {
            counts[CharacterNGram(points[start..<start + order]), default: 0] += 1
        }
        return points.count - order + 1
    }
}

/// Up to six code points (21 bits each) packed three to a word; the order is implied by the
/// dictionary the n-gram lives in, and code point 0 is told apart from an empty slot by adding 1.
private struct CharacterNGram: Hashable {
    var low: UInt64 = 0
    var high: UInt64 = 0

    init(_ points: ArraySlice<UInt32>) {
        for (offset, point) in points.enumerated() {
            let value = UInt64(point + 1)
            if offset < 3 {
                low |= value << (21 * offset)
            } else {
                high |= value << (21 * (offset - 3))
            }
        }
    }
}
