import Foundation

/// A corpus chrF score with the parameters that define it.
public struct ChrFScore: Sendable, Equatable, Codable, CustomStringConvertible {
    /// chrF, 0…100.
    public var score: Double
    /// The highest character n-gram order (6).
    public var characterOrder: Int
    /// The highest word n-gram order (0).
    public var wordOrder: Int
    /// The weight of recall (2).
    public var beta: Int
    /// The sacreBLEU-style signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:…`.
    public var signature: String

    /// Creates a score from its parts.
    public init(score: Double, characterOrder: Int, wordOrder: Int, beta: Int, signature: String) {
        self.score = score
        self.characterOrder = characterOrder
        self.wordOrder = wordOrder
        self.beta = beta
        self.signature = signature
    }

    /// sacreBLEU's metric name: `chrF2`, with a `+` per word order (`chrF2++`).
    public var name: String { "chrF\(beta)" + String(repeating: "+", count: wordOrder) }

    /// `chrF2 = 56.34`
    public var description: String { "\(name) = \(String(format: "%.2f", score))" }
}
