/// A model's parameters laid out in two flat buffers (values and gradients), in walk order.
///
/// After construction every parameter's value and gradient are views into `values` and
/// `gradients`, so an optimiser can update all of them in one pass and a data-parallel trainer
/// can all-reduce every gradient in one call.
public final class ParameterList {
    /// Each parameter with its dotted name and its offset into the flat buffers.
    public let entries: [(name: String, parameter: Parameter, offset: Int)]
    /// All parameter values, concatenated. Taking them (to update them in place) marks decoding's
    /// packed copies of the weights stale.
    public var values: TensorStorage {
        PackedWeights.invalidate()
        return flatValues
    }
    private let flatValues: TensorStorage
    /// All parameter gradients, concatenated.
    public let gradients: TensorStorage

    /// Packs the parameters of `layer` into flat buffers (values are preserved).
    public convenience init(_ layer: Layer) {
        self.init(named: layer.namedParameters)
    }

    /// Packs the given parameters into flat buffers (values are preserved).
    public init(named: [(name: String, parameter: Parameter)]) {
        var seen = Set<String>()
        for (name, _) in named { precondition(seen.insert(name).inserted, "duplicate parameter name \(name)") }
        // A parameter shared under two names (tied embeddings) is packed once, under its first name.
        var unique: [(name: String, parameter: Parameter)] = []
        var identities = Set<ObjectIdentifier>()
        for entry in named where identities.insert(ObjectIdentifier(entry.parameter)).inserted { unique.append(entry) }
        let total = unique.reduce(0) { $0 + $1.parameter.count }
        let values = TensorStorage(count: total)
        flatValues = values
        gradients = TensorStorage(count: total)
        var offset = 0
        var entries: [(name: String, parameter: Parameter, offset: Int)] = []
        for (name, parameter) in unique {
            parameter.relocate(values: values, gradients: gradients, offset: offset)
            entries.append((name, parameter, offset))
            offset += parameter.count
        }
        self.entries = entries
        // The parameters' former buffers are free now and the same sizes rarely come back (a
        // step's activations have other shapes): give them back to the system.
        BufferPool.releaseKept()
    }

    /// The total number of scalars.
    public var count: Int { flatValues.count }

    /// Sets every gradient to zero.
    public func zeroGradients() {
        gradients.pointer.update(repeating: 0, count: gradients.count)
    }

    /// The Euclidean norm of all gradients together.
    public func gradientNorm() -> Float {
        Kernels.dot(gradients.pointer, gradients.pointer, count: gradients.count).squareRoot()
    }

    /// Scales all gradients so their global norm is at most `maximumNorm`; returns the norm before clipping.
    @discardableResult
    public func clipGradientNorm(_ maximumNorm: Float) -> Float {
        let norm = gradientNorm()
        if norm > maximumNorm && norm.isFinite {
            let scale = maximumNorm / (norm + 1e-6)
            let g = gradients.pointer
            for i in 0..<gradients.count { g[i] *= scale }
        }
        return norm
    }

    /// The parameter with the given name.
    public subscript(name: String) -> Parameter? {
        entries.first { $0.name == name }?.parameter
    }
}
