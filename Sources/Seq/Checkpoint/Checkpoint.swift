import Foundation

/// Saves and restores a model's parameters, its optimiser's state and free-form metadata in one
/// safetensors file.
///
/// Parameters are stored under their dotted names (`encoder.layers.0.selfAttention.query.weight`),
/// optimiser state under `<parameter>.<suffix>` (`….weight.adam.m`), and the optimiser's step count
/// in the metadata under `optimizer.step`. The metadata carries anything else a trainer needs to
/// resume (epoch, random state via `RandomGenerator.checkpointDescription`, the configuration as
/// JSON); Python reads the same file with `safetensors.numpy.load_file`.
public enum Checkpoint {
    /// The metadata key holding the optimiser's step count.
    public static let optimizerStepKey = "optimizer.step"

    /// Writes the parameters of `layer`, the state of `optimizer` (when given) and `metadata` to
    /// `url`, atomically (see `SafeTensors.write`).
    ///
    /// `optimizer` must update parameters of `layer` under the same names.
    public static func save(
        _ layer: Layer, optimizer: Optimizer? = nil, metadata: [String: String] = [:], to url: URL
    ) throws {
        var tensors: [String: Tensor] = [:]
        for (name, parameter) in layer.namedParameters { tensors[name] = parameter.value.detached() }
        var metadata = metadata
        if let optimizer {
            for (name, _, _) in optimizer.parameters.entries {
                precondition(tensors[name] != nil, "the optimiser updates '\(name)', which the layer does not have")
            }
            for (name, tensor) in optimizer.state() {
                precondition(tensors[name] == nil, "optimiser state '\(name)' collides with a parameter name")
                tensors[name] = tensor
            }
            metadata[optimizerStepKey] = String(optimizer.stepCount)
        }
        try SafeTensors.write(tensors, metadata: metadata, to: url)
    }

    /// Reads `url` into the parameters of `layer` (and the state of `optimizer`, when given);
    /// returns the metadata.
    ///
    /// Every parameter must be in the file with its shape, and every model tensor in the file must
    /// be a parameter of `layer` (tensors named `<parameter>.<suffix>` are optimiser state and are
    /// left to the optimiser). Nothing is changed unless everything checks out. Throws
    /// `CheckpointError` naming the file and the problem.
    @discardableResult
    public static func load(from url: URL, into layer: Layer, optimizer: Optimizer? = nil) throws -> [String: String] {
        let (tensors, metadata) = try SafeTensors.read(from: url)
        do {
            let named = layer.namedParameters
            let names = Set(named.map(\.name))
            for (name, parameter) in named {
                guard let tensor = tensors[name] else { throw CheckpointError(.missingTensor(name)) }
                guard tensor.shape == parameter.shape else {
                    throw CheckpointError(.shapeMismatch(name, expected: parameter.shape, found: tensor.shape))
                }
            }
            for name in tensors.keys.sorted() where !names.contains(name) && !isState(name, ofOneOf: names) {
                throw CheckpointError(.unexpectedTensor(name))
            }
            if let optimizer {
                guard let text = metadata[optimizerStepKey] else {
                    throw CheckpointError(.invalidMetadata(key: optimizerStepKey, "missing, so the file holds no optimiser state"))
                }
                guard let stepCount = Int(text), stepCount >= 0 else {
                    throw CheckpointError(.invalidMetadata(key: optimizerStepKey, "'\(text)' is not a step count"))
                }
                try optimizer.load(state: tensors)
                optimizer.stepCount = stepCount
            }
            for (name, parameter) in named { parameter.value = tensors[name]! }
        } catch var error as CheckpointError {
            error.file = url
            throw error
        }
        return metadata
    }

    /// Whether `name` is `<parameter>.<suffix>` for one of `parameters`.
    private static func isState(_ name: String, ofOneOf parameters: Set<String>) -> Bool {
        var index = name.startIndex
        while let dot = name[index...].firstIndex(of: ".") {
            if parameters.contains(String(name[..<dot])) { return true }
            index = name.index(after: dot)
        }
        return false
    }
}

extension RandomGenerator {
    /// The generator's state as text for checkpoint metadata: four 16-digit hexadecimal words.
    public var checkpointDescription: String {
        state.map { word in
            let hex = String(word, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined(separator: " ")
    }

    /// Restores the state from `checkpointDescription`; throws `CheckpointError.invalidMetadata`
    /// (mentioning `key`) when the text is not four hexadecimal words.
    public func restore(checkpointDescription text: String, key: String = "random") throws {
        let words = text.split(separator: " ").compactMap { UInt64($0, radix: 16) }
        guard words.count == 4, text.split(separator: " ").count == 4, words.contains(where: { $0 != 0 }) else {
            throw CheckpointError(.invalidMetadata(key: key, "'\(text)' is not a generator state (four hexadecimal words, not all zero)"))
        }
        state = words
    }
}
