import Foundation

/// A corpus BLEU score with the statistics sacreBLEU reports beside it.
public struct BLEUScore: Sendable, Equatable, Codable, CustomStringConvertible {
    /// BLEU, 0…100.
    public var score: Double
    /// Clipped n-gram matches for orders 1…4.
    public var matches: [Int]
    /// Hypothesis n-grams for orders 1…4.
    public var totals: [Int]
    /// Smoothed n-gram precisions for orders 1…4, in percent.
    public var precisions: [Double]
    /// The brevity penalty, 0…1.
    public var brevityPenalty: Double
    /// Tokens in all hypotheses (sacreBLEU's `sys_len`).
    public var hypothesisLength: Int
    /// Tokens in all references (sacreBLEU's `ref_len`).
    public var referenceLength: Int
    /// The sacreBLEU-style signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:…`.
    public var signature: String

    /// Creates a score from its parts.
    public init(
        score: Double, matches: [Int], totals: [Int], precisions: [Double], brevityPenalty: Double,
        hypothesisLength: Int, referenceLength: Int, signature: String
    ) {
        self.score = score
        self.matches = matches
        self.totals = totals
        self.precisions = precisions
        self.brevityPenalty = brevityPenalty
        self.hypothesisLength = hypothesisLength
        self.referenceLength = referenceLength
        self.signature = signature
    }

    /// Hypothesis length over reference length (0 when there are no reference tokens).
    public var ratio: Double {
        referenceLength > 0 ? Double(hypothesisLength) / Double(referenceLength) : 0
    }

    /// sacreBLEU's text line without the signature:
    /// `BLEU = 34.12 65.0/40.0/28.6/16.7 (BP = 1.000 ratio = 1.000 hyp_len = 20 ref_len = 20)`.
    public var description: String {
        "BLEU = \(String(format: "%.2f", score)) \(details)"
    }

    /// The part after the score: precisions, brevity penalty, ratio and lengths.
    public var details: String {
        let precisionText = precisions.map { String(format: "%.1f", $0) }.joined(separator: "/")
        return "\(precisionText) (BP = \(String(format: "%.3f", brevityPenalty)) "
            + "ratio = \(String(format: "%.3f", ratio)) hyp_len = \(hypothesisLength) ref_len = \(referenceLength))"
    }
}
