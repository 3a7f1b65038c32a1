/// A lookup table from ids to vectors.
public final class Embedding: Layer {
    /// `[count, size]`.
    public let weight: Parameter

    /// A table of `count` vectors of `size` elements, normal with standard deviation `size^-½` by default.
    public init(count: Int, size: Int, initializer: Initializer? = nil, generator: RandomGenerator) {
        let initializer = initializer ?? .normal(standardDeviation: 1 / Float(size).squareRoot())
        weight = Parameter(initializer.make([count, size], generator: generator))
    }

    public var count: Int { weight.shape[0] }
    public var size: Int { weight.shape[1] }

    /// Ids laid out as `shape` → `shape + [size]`.
    public func callAsFunction(_ ids: [Int], shape: [Int]) -> Tensor {
        weight.value.gatherRows(ids, indexShape: shape)
    }

    public func visit(_ visitor: inout LayerVisitor) {
        visitor("weight", weight)
    }
}
