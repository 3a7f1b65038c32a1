/// A reference-counted block of `Float` values that tensors share.
///
/// A storage either owns its memory or is a view into a larger storage (parameters live as
/// views into one flat buffer so that an optimiser or an all-reduce can treat them as one vector).
public final class TensorStorage {
    /// The first element.
    public let pointer: UnsafeMutablePointer<Float>
    /// The number of elements.
    public let count: Int
    /// The storage this one views, kept alive while the view exists; `nil` when this one owns its memory.
    private let base: TensorStorage?

    /// Allocates `count` elements, zero-filled.
    public init(count: Int) {
        precondition(count >= 0, "negative element count")
        self.count = count
        self.pointer = .allocate(capacity: Swift.max(count, 1))
        self.pointer.initialize(repeating: 0, count: Swift.max(count, 1))
        self.base = nil
    }

    /// Allocates `count` elements without initialising them: the caller writes every element.
    init(uninitializedCount count: Int) {
        self.count = count
        self.pointer = .allocate(capacity: Swift.max(count, 1))
        self.base = nil
    }

    /// A view of `count` elements of `base` starting at `offset`.
    public init(viewing base: TensorStorage, offset: Int, count: Int) {
        precondition(offset >= 0 && offset + count <= base.count, "view out of range")
        self.pointer = base.pointer + offset
        self.count = count
        self.base = base
    }

    deinit {
        if base == nil { pointer.deallocate() }
    }

    /// The elements as a buffer.
    public var buffer: UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(start: pointer, count: count)
    }

    /// A new storage with the same elements.
    func copy() -> TensorStorage {
        let result = TensorStorage(uninitializedCount: count)
        result.pointer.update(from: pointer, count: count)
        return result
    }
}
