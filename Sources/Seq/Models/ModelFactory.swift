/// Errors building a model from a configuration.
public enum ModelError: Error, CustomStringConvertible {
    case unsupported(ModelKind)
    case invalidConfiguration(String)

    public var description: String {
        switch self {
        case .unsupported(let kind): "model kind '\(kind.rawValue)' is not available"
        case .invalidConfiguration(let reason): "invalid model configuration: \(reason)"
        }
    }
}

extension ModelConfiguration {
    /// Builds a freshly initialised model of this configuration's family.
    public func makeModel(generator: RandomGenerator) throws -> any EncoderDecoder {
        switch kind {
        case .rnn, .lstm: try RecurrentEncoderDecoder(configuration: self, generator: generator)
        case .bahdanau: try AttentionEncoderDecoder(configuration: self, generator: generator)
        case .transformer: try Transformer(configuration: self, generator: generator)
        }
    }
}
