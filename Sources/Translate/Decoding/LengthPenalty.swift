#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The GNMT length penalty (Wu et al. 2016, "Google's Neural Machine Translation System", §7):
/// a hypothesis of `|Y|` scored positions and log-probability `s` ranks by `s / lp(|Y|)` with
///
///     lp(|Y|) = ((5 + |Y|) / 6)^α
///
/// `α = 0` ranks by log-probability alone; `α > 0` favours longer outputs (GNMT uses 0.6–0.7);
/// `α < 0` favours shorter ones. `|Y|` counts the positions the score sums over: the tokens plus
/// `</s>` when the hypothesis ended with it.
public struct LengthPenalty: Equatable, Sendable, ExpressibleByFloatLiteral, ExpressibleByIntegerLiteral {
    /// The exponent α.
    public var alpha: Float

    public init(alpha: Float) { self.alpha = alpha }
    public init(floatLiteral value: Float) { alpha = value }
    public init(integerLiteral value: Int) { alpha = Float(value) }

    /// No penalty: normalised scores equal log-probabilities.
    public static let none = LengthPenalty(alpha: 0)

    /// `lp(length)`.
    public func factor(length: Int) -> Float {
        alpha == 0 ? 1 : powf((5 + Float(length)) / 6, alpha)
    }

    /// `score / lp(length)`.
    public func normalize(_ score: Float, length: Int) -> Float {
        alpha == 0 ? score : score / factor(length: length)
    }

    /// The highest normalised score a hypothesis now at `score` over `length` positions could still
    /// reach if it ends after between `length + 1` and `limit` positions in all.
    ///
    /// Appending positions only lowers the log-probability (each adds a log-probability ≤ 0), so
    /// the final score is at most `score`, which is ≤ 0. Then `s / lp(n)` is monotonic in `n`
    /// (lp is monotonic), so over `n ∈ [length + 1, limit]` with `s ≤ score` the best case is
    /// `score` at one end of the range: `max(score / lp(length + 1), score / lp(limit))`.
    /// With `α = 0` this is just `score`.
    public func bestReachable(score: Float, length: Int, limit: Int) -> Float {
        if alpha == 0 { return score }
        let shortest = length + 1, longest = Swift.max(limit, shortest)
        return Swift.max(normalize(score, length: shortest), normalize(score, length: longest))
    }
}
