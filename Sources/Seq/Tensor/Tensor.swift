/// An n-dimensional array of `Float` in contiguous row-major order, with reverse-mode autograd.
///
/// Tensors have value semantics: mutating one never changes another (storage is copied on
/// write). Operations on tensors that take part in a gradient computation record how to
/// propagate gradients (see `Autograd`); inside `withoutGradients` nothing is recorded.
///
/// Parameters are the one exception to value semantics: an optimiser updates a parameter's
/// storage in place, as every deep-learning framework does.
public struct Tensor {
    /// The size of each axis; `[]` is a scalar.
    public private(set) var shape: [Int]
    /// The elements, shared between copies until one of them writes.
    public private(set) var storage: TensorStorage
    /// The autograd record of the operation that produced this tensor, if any.
    var node: AutogradNode?

    /// A tensor over existing storage.
    public init(shape: [Int], storage: TensorStorage) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) elements")
        self.shape = shape
        self.storage = storage
        self.node = nil
    }

    init(shape: [Int], storage: TensorStorage, node: AutogradNode?) {
        self.shape = shape
        self.storage = storage
        self.node = node
    }

    /// A tensor of the given shape filled with zeros.
    public init(zeros shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(count: shape.reduce(1, *)))
    }

    /// A tensor of the given shape filled with `value`.
    public init(repeating value: Float, shape: [Int]) {
        let storage = TensorStorage(uninitializedCount: shape.reduce(1, *))
        storage.pointer.initialize(repeating: value, count: storage.count)
        self.init(shape: shape, storage: storage)
    }

    /// A tensor with the given elements in row-major order.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.reduce(1, *) == scalars.count, "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        let storage = TensorStorage(uninitializedCount: scalars.count)
        scalars.withUnsafeBufferPointer { storage.pointer.initialize(from: $0.baseAddress!, count: $0.count) }
        self.init(shape: shape, storage: storage)
    }

    /// A scalar tensor.
    public init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    /// An uninitialised tensor; the caller writes every element.
    init(uninitialized shape: [Int]) {
        self.init(shape: shape, storage: TensorStorage(uninitializedCount: shape.reduce(1, *)))
    }

    /// The number of elements.
    public var count: Int { storage.count }
    /// The number of axes.
    public var rank: Int { shape.count }
    /// The elements in row-major order.
    public var scalars: [Float] { Array(storage.buffer) }
    /// The value of a one-element tensor.
    public var scalar: Float {
        precondition(count == 1, "scalar of a tensor with \(count) elements")
        return storage.pointer[0]
    }

    /// Whether gradients flow back through this tensor.
    public var requiresGradient: Bool { node != nil }

    /// The same values cut off from the autograd graph.
    public func detached() -> Tensor { Tensor(shape: shape, storage: storage) }

    /// Element `index` in row-major order.
    public subscript(flat index: Int) -> Float {
        get { storage.pointer[index] }
        set {
            makeUnique()
            storage.pointer[index] = newValue
        }
    }

    /// The element at a full multi-index.
    public subscript(_ indices: Int...) -> Float {
        get { storage.pointer[flatIndex(indices)] }
        set {
            makeUnique()
            storage.pointer[flatIndex(indices)] = newValue
        }
    }

    func flatIndex(_ indices: [Int]) -> Int {
        precondition(indices.count == rank, "\(indices.count) indices for rank \(rank)")
        var index = 0
        for (axis, i) in indices.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(i) out of range for axis \(axis) of \(shape)")
            index = index * shape[axis] + i
        }
        return index
    }

    /// Copies the storage if another tensor shares it, so that writing is safe. Drops the autograd record.
    mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = storage.copy() }
        node = nil
    }

    /// Calls `body` with the elements for writing (copying first if they are shared).
    public mutating func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        makeUnique()
        return try body(storage.buffer)
    }

    /// Calls `body` with the elements for reading.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(storage.buffer))
    }

    /// Size of the axis; negative axes count from the end.
    public func size(_ axis: Int) -> Int { shape[normalize(axis: axis)] }

    func normalize(axis: Int) -> Int {
        let result = axis < 0 ? axis + rank : axis
        precondition(result >= 0 && result < rank, "axis \(axis) out of range for rank \(rank)")
        return result
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}
