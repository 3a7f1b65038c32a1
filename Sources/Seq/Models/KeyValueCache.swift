/// The self-attention keys and values of the positions a decoder layer has seen, stored with room
/// for the positions still to come.
///
/// Each of `keys` and `values` is `[batch, heads, capacity, headSize]`, of which positions
/// `0..<length` are filled. A decoding step appends one position in place; only when the room
/// runs out are the filled positions copied into a larger buffer (at least 1.5× as long, a
/// multiple of eight positions), so twenty steps copy the cache twice rather than at every step.
/// Attention reads a head's positions as one run of `capacity · headSize` floats
/// (`MultiHeadAttention.attendOnePosition`).
///
/// A cache is a value: appending to a copy never changes the original (the buffers are copied
/// first when shared, as tensors are).
public struct KeyValueCache {
    /// `[batch, heads, capacity, headSize]`; positions at and past `length` are not part of the
    /// cache (zero in the buffers the cache allocates itself).
    public private(set) var keys: Tensor
    /// Like `keys`.
    public private(set) var values: Tensor
    /// The number of filled positions.
    public private(set) var length: Int

    /// A cache over `keys` and `values` `[batch, heads, capacity, headSize]` whose first
    /// `length` positions are filled.
    public init(keys: Tensor, values: Tensor, length: Int) {
        precondition(keys.rank == 4 && values.shape == keys.shape, "cache keys \(keys.shape) and values \(values.shape) differ or are not rank 4")
        precondition((0...keys.shape[2]).contains(length), "\(length) filled positions in a capacity of \(keys.shape[2])")
        self.keys = keys
        self.values = values
        self.length = length
    }

    /// A full cache of the keys and values `[batch, heads, length, headSize]` (no room left).
    public init(keys: Tensor, values: Tensor) {
        self.init(keys: keys, values: values, length: keys.shape[2])
    }

    /// An empty cache with room for `capacity` positions.
    public init(batch: Int, heads: Int, headSize: Int, capacity: Int = 8) {
        self.init(keys: Tensor(zeros: [batch, heads, capacity, headSize]),
                  values: Tensor(zeros: [batch, heads, capacity, headSize]), length: 0)
    }

    /// The number of positions the buffers hold.
    public var capacity: Int { keys.shape[2] }

    /// The filled positions as contiguous tensors `[batch, heads, length, headSize]`: the buffers
    /// themselves when full, else a copy.
    public var filled: (keys: Tensor, values: Tensor) {
        if length == capacity { return (keys, values) }
        return (Self.prefix(keys, length), Self.prefix(values, length))
    }

    /// Appends positions `[batch, heads, n, headSize]` of keys and values after the filled ones.
    public mutating func append(keys newKeys: Tensor, values newValues: Tensor) {
        let shape = keys.shape, n = newKeys.shape[2]
        precondition(newKeys.rank == 4 && newKeys.shape == [shape[0], shape[1], n, shape[3]] && newValues.shape == newKeys.shape,
                     "appending \(newKeys.shape) and \(newValues.shape) to a cache of \(shape)")
        reserve(length + n)
        Self.write(newKeys, into: keys, at: length)
        Self.write(newValues, into: values, at: length)
        length += n
    }

    /// Makes room for `positions` in all, copying the filled ones into larger buffers if needed,
    /// and makes the buffers this cache's own (copied if another cache shares them), so that the
    /// next positions can be written into them in place.
    public mutating func reserve(_ positions: Int) {
        guard positions > capacity else {
            keys.withUnsafeMutableBufferPointer { _ in }
            values.withUnsafeMutableBufferPointer { _ in }
            return
        }
        let grown = (Swift.max(positions, capacity + capacity / 2) + 7) / 8 * 8
        keys = Self.moved(keys, filled: length, capacity: grown)
        values = Self.moved(values, filled: length, capacity: grown)
    }

    /// Counts position `length` as filled, for code that writes it into the buffers itself (the
    /// fused decoding step) after `reserve(length + 1)`.
    mutating func advance() {
        precondition(length < capacity, "no room in the cache")
        length += 1
    }

    /// Writes `new` `[batch, heads, n, headSize]` into `buffer`'s positions `at..<at + n` (the
    /// buffer's storage must be unshared: see `reserve`).
    private static func write(_ new: Tensor, into buffer: Tensor, at position: Int) {
        let shape = buffer.shape, blocks = shape[0] * shape[1], headSize = shape[3]
        let stride = shape[2] * headSize, run = new.shape[2] * headSize
        let to = buffer.storage.pointer + position * headSize, from = new.storage.pointer
        for block in 0..<blocks { (to + block * stride).update(from: from + block * run, count: run) }
    }

    /// The first `length` positions of `buffer`, contiguous.
    private static func prefix(_ buffer: Tensor, _ length: Int) -> Tensor {
        moved(buffer, filled: length, capacity: length)
    }

    /// The first `filled` positions of `buffer` in a new buffer of `capacity` positions, the
    /// others zero.
    private static func moved(_ buffer: Tensor, filled: Int, capacity: Int) -> Tensor {
        let shape = buffer.shape, blocks = shape[0] * shape[1], headSize = shape[3]
        let result = filled == capacity ? Tensor(uninitialized: [shape[0], shape[1], capacity, headSize])
            : Tensor(zeros: [shape[0], shape[1], capacity, headSize])
        let from = buffer.storage.pointer, to = result.storage.pointer
        for block in 0..<blocks {
            (to + block * capacity * headSize).update(from: from + block * shape[2] * headSize, count: filled * headSize)
        }
        return result
    }
}
