/// A building block of a model: it owns parameters and sub-layers under stable names.
///
/// A layer lists what it owns in `visit(_:)`; everything else — dotted parameter paths such as
/// `encoder.layers.0.selfAttention.query.weight`, training mode, counting — is derived from that
/// walk, so optimisers, checkpoints and initialisers all key on the same names.
public protocol Layer: AnyObject {
    /// Names each parameter and sub-layer this layer owns directly, in a fixed order.
    func visit(_ visitor: inout LayerVisitor)
}

/// Receives the parameters and sub-layers of a layer during a walk.
public struct LayerVisitor {
    fileprivate var prefix: String
    fileprivate var onParameter: (String, Parameter) -> Void
    fileprivate var onLayer: (String, Layer) -> Void

    /// Reports a parameter under `name`.
    public mutating func callAsFunction(_ name: String, _ parameter: Parameter) {
        onParameter(prefix + name, parameter)
    }

    /// Reports an optional parameter under `name` when present.
    public mutating func callAsFunction(_ name: String, _ parameter: Parameter?) {
        if let parameter { self(name, parameter) }
    }

    /// Reports a sub-layer under `name` and walks into it.
    public mutating func callAsFunction(_ name: String, _ layer: Layer) {
        onLayer(prefix + name, layer)
        let saved = prefix
        prefix = prefix + name + "."
        layer.visit(&self)
        prefix = saved
    }

    /// Reports an optional sub-layer when present.
    public mutating func callAsFunction(_ name: String, _ layer: Layer?) {
        if let layer { self(name, layer) }
    }

    /// Reports a list of sub-layers as `name.0`, `name.1`, ….
    public mutating func callAsFunction(_ name: String, _ layers: [Layer]) {
        for (index, layer) in layers.enumerated() { self("\(name).\(index)", layer) }
    }
}

extension Layer {
    /// Every parameter with its dotted path, in walk order.
    public var namedParameters: [(name: String, parameter: Parameter)] {
        var result: [(name: String, parameter: Parameter)] = []
        var visitor = LayerVisitor(prefix: "", onParameter: { result.append(($0, $1)) }, onLayer: { _, _ in })
        visit(&visitor)
        return result
    }

    /// Every parameter, in walk order.
    public var parameters: [Parameter] { namedParameters.map(\.parameter) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// This layer and every layer below it, each with its dotted path (`""` for this one).
    public var namedLayers: [(name: String, layer: Layer)] {
        var result: [(name: String, layer: Layer)] = [("", self)]
        var visitor = LayerVisitor(prefix: "", onParameter: { _, _ in }, onLayer: { result.append(($0, $1)) })
        visit(&visitor)
        return result
    }

    /// Sets how decoding's products of one to eight rows read every weight of this layer and its
    /// sublayers (`Parameter.panelPrecision`): `.bfloat16` halves the bytes a batch-1 step reads.
    public func setPanelPrecision(_ precision: PackedWeights.Precision) {
        for parameter in parameters { parameter.panelPrecision = precision }
    }

    /// Switches dropout on (training) or off (evaluation, decoding) in this layer and all below it.
    public func setTraining(_ training: Bool) {
        for (_, layer) in namedLayers {
            if let dropout = layer as? Dropout { dropout.isActive = training }
        }
    }

    /// Sets every parameter's gradient to zero.
    public func zeroGradients() {
        for parameter in parameters { parameter.zeroGradient() }
    }
}
