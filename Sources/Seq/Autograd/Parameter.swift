/// A trainable tensor: a value that operations read and a gradient that `backward()` fills.
///
/// A parameter's storage may be a view into a flat buffer shared by all parameters of a model
/// (see `ParameterList`), so optimisers and all-reduce can work on one contiguous vector.
public final class Parameter {
    private var storage: TensorStorage
    private var gradientStorage: TensorStorage
    /// The shape of the value and of the gradient.
    public let shape: [Int]
    private lazy var leaf = AutogradNode(leafOf: self)

    /// A parameter with the given initial value.
    public init(_ initial: Tensor) {
        shape = initial.shape
        storage = initial.storage.copy()
        storage.isWeight = true
        gradientStorage = TensorStorage(count: initial.count)
    }

    /// The current value; inside a gradient computation it is tracked, so gradients reach this parameter.
    ///
    /// Setting copies the new elements into the parameter's existing storage.
    public var value: Tensor {
        get { Tensor(shape: shape, storage: storage, node: Autograd.isRecording ? leaf : nil) }
        set {
            precondition(newValue.shape == shape, "parameter of shape \(shape) set to \(newValue.shape)")
            storage.pointer.update(from: newValue.storage.pointer, count: storage.count)
            PackedWeights.invalidate()
        }
    }

    /// The accumulated gradient, a live view: it changes as gradients accumulate.
    public var gradient: Tensor { Tensor(shape: shape, storage: gradientStorage) }

    /// The number of elements.
    public var count: Int { storage.count }

    /// How the copy that decoding's products of one to eight rows read holds this weight: float32,
    /// or rounded to bfloat16 (`PackedWeights`). The value itself stays float32, and training and
    /// larger products read it as it is. A change marks the packed copies stale, as a write does:
    /// descriptions kept from step to step point into them (`PackedWeights.currentEpoch`).
    public var panelPrecision: PackedWeights.Precision {
        get { storage.panelPrecision }
        set {
            guard newValue != storage.panelPrecision else { return }
            storage.panelPrecision = newValue
            PackedWeights.invalidate()
        }
    }

    /// The value's storage, for optimisers that update it in place (taking it marks decoding's
    /// packed copies of the weights stale).
    public var valueStorage: TensorStorage {
        PackedWeights.invalidate()
        return storage
    }
    /// The gradient's storage, for optimisers and all-reduce.
    public var gradientStorageView: TensorStorage { gradientStorage }

    /// Sets the gradient to zero.
    public func zeroGradient() {
        gradientStorage.pointer.update(repeating: 0, count: gradientStorage.count)
    }

    func accumulateGradient(_ incoming: Tensor) {
        precondition(incoming.shape == shape, "gradient of shape \(incoming.shape) for parameter of shape \(shape)")
        Parallel.add(incoming.storage.pointer, into: gradientStorage.pointer, count: count)
    }

    /// Moves value and gradient into views of the given flat buffers (contents preserved).
    func relocate(values: TensorStorage, gradients: TensorStorage, offset: Int) {
        let newValue = TensorStorage(viewing: values, offset: offset, count: count)
        newValue.isWeight = true
        newValue.panelPrecision = storage.panelPrecision
        newValue.pointer.update(from: storage.pointer, count: count)
        let newGradient = TensorStorage(viewing: gradients, offset: offset, count: count)
        newGradient.pointer.update(from: gradientStorage.pointer, count: count)
        storage = newValue
        gradientStorage = newGradient
        PackedWeights.invalidate()   // the old storage goes, and its packed copies with it
    }
}
