/// How a parameter's first values are drawn.
public enum Initializer: Sendable, Equatable {
    /// Xavier/Glorot uniform (Glorot & Bengio 2010): `U(±√(6/(fanIn + fanOut)))`, with fans from
    /// the last two dimensions (`[fanOut, fanIn]`, as `Linear` stores its weight).
    case xavierUniform
    /// Uniform in `±bound`.
    case uniform(bound: Float)
    /// Normal with mean 0 and the given standard deviation.
    case normal(standardDeviation: Float)
    /// All zeros.
    case zeros
    /// All equal to a constant.
    case constant(Float)

    /// A tensor of the given shape drawn from this initialiser.
    public func make(_ shape: [Int], generator: RandomGenerator) -> Tensor {
        switch self {
        case .xavierUniform:
            let fanOut = shape.count >= 2 ? shape[shape.count - 2] : shape.first ?? 1
            let fanIn = shape.last ?? 1
            let bound = (6 / Float(fanIn + fanOut)).squareRoot()
            return .uniform(shape, low: -bound, high: bound, generator: generator)
        case .uniform(let bound):
            return .uniform(shape, low: -bound, high: bound, generator: generator)
        case .normal(let deviation):
            return .normal(shape, standardDeviation: deviation, generator: generator)
        case .zeros:
            return Tensor(zeros: shape)
        case .constant(let value):
            return Tensor(repeating: value, shape: shape)
        }
    }
}
