#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The position signal added to Transformer embeddings.
///
/// Sinusoidal (Vaswani et al. 2017, §3.5), for position `p` and feature `i` of `d`:
///
///     PE(p, 2j)   = sin(p / 10000^(2j/d))
///     PE(p, 2j+1) = cos(p / 10000^(2j/d))
///
/// It has no parameters and no length limit; the first `maximumLength` positions are worked out
/// once, when the layer is made, so a decoding step only copies its row. Learned (Gehring et al. 2017): a table `weight`
/// `[maximumLength, size]` trained with the model.
public final class PositionalEncoding: Layer {
    /// Sinusoidal or learned.
    public let kind: PositionEncoding
    /// The model width `d`.
    public let size: Int
    /// Learned only: the longest sequence the table covers.
    public let maximumLength: Int
    /// Learned only: `[maximumLength, size]`, normal with standard deviation `size^-½`.
    public let weight: Parameter?
    /// Sinusoidal only: the encodings of positions `0..<maximumLength`.
    private let sinusoidTable: Tensor?

    public init(kind: PositionEncoding, size: Int, maximumLength: Int, generator: RandomGenerator) {
        precondition(size > 0 && maximumLength > 0, "position encoding needs positive sizes")
        self.kind = kind
        self.size = size
        self.maximumLength = maximumLength
        switch kind {
        case .sinusoidal:
            weight = nil
            sinusoidTable = Self.sinusoid(0..<maximumLength, size: size)
        case .learned:
            let initializer = Initializer.normal(standardDeviation: 1 / Float(size).squareRoot())
            weight = Parameter(initializer.make([maximumLength, size], generator: generator))
            sinusoidTable = nil
        }
    }

    /// The encodings of `positions`, `[positions.count, size]` (broadcasts over the batch).
    public func callAsFunction(_ positions: Range<Int>) -> Tensor {
        switch kind {
        case .sinusoidal:
            if let table = sinusoidTable, positions.lowerBound >= 0, positions.upperBound <= maximumLength {
                return table.sliced(axis: 0, positions)
            }
            return Self.sinusoid(positions, size: size)
        case .learned:
            precondition(positions.lowerBound >= 0 && positions.upperBound <= maximumLength,
                         "positions \(positions) beyond the learned maximum length \(maximumLength)")
            return weight!.value.sliced(axis: 0, positions)
        }
    }

    /// The sinusoidal table for `positions`, computed in double precision.
    static func sinusoid(_ positions: Range<Int>, size: Int) -> Tensor {
        var table = [Float](repeating: 0, count: positions.count * size)
        // Frequencies depend only on the feature pair, so compute them once.
        let frequencies = (0..<(size + 1) / 2).map { j in pow(10_000.0, -Double(2 * j) / Double(size)) }
        for (row, position) in positions.enumerated() {
            for i in 0..<size {
                let angle = Double(position) * frequencies[i / 2]
                table[row * size + i] = Float(i % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
        return Tensor(shape: [positions.count, size], scalars: table)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("weight", weight)
    }
}
