import Foundation

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
    /// The allocated elements (`BufferPool`'s size class; ≥ `count`), 0 for a view.
    private let capacity: Int

    /// Allocates `count` elements, zero-filled.
    public init(count: Int) {
        precondition(count >= 0, "negative element count")
        self.count = count
        (self.pointer, self.capacity) = BufferPool.allocate(count)
        self.pointer.initialize(repeating: 0, count: Swift.max(count, 1))
        self.base = nil
    }

    /// Allocates `count` elements without initialising them: the caller writes every element.
    init(uninitializedCount count: Int) {
        self.count = count
        (self.pointer, self.capacity) = BufferPool.allocate(count)
        self.base = nil
    }

    /// A view of `count` elements of `base` starting at `offset`.
    public init(viewing base: TensorStorage, offset: Int, count: Int) {
        precondition(offset >= 0 && offset + count <= base.count, "view out of range")
        self.pointer = base.pointer + offset
        self.count = count
        self.base = base
        self.capacity = 0
    }

    /// Set on a parameter's storage: decoding's products may keep packed copies of it (`PackedWeights`).
    var isWeight = false
    /// Those copies, at most one per layout.
    var packedCopies: [PackedWeights.Copy] = []
    /// The precision of its panel copy (`Parameter.panelPrecision`).
    var panelPrecision = PackedWeights.Precision.float32

    deinit {
        for copy in packedCopies { BufferPool.release(copy.pointer, capacity: copy.capacity) }
        if base == nil { BufferPool.release(pointer, capacity: capacity) }
    }

    /// Gives back the copy in `layout`, if there is one.
    func releasePackedCopy(_ layout: PackedWeights.Layout) {
        packedCopies.removeAll { copy in
            guard copy.layout == layout else { return false }
            BufferPool.release(copy.pointer, capacity: copy.capacity)
            return true
        }
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

/// Keeps freed large buffers for reuse, so that the tensors of one training step or decoding step
/// land in memory the previous step already touched.
///
/// Without it every large tensor is a fresh `mmap` from the C allocator and its first write
/// page-faults once per 4 KiB (about 15 % of a Transformer training step went to the kernel's
/// page-fault path). Buffers of at least `minimumCount` elements are rounded up to a size class
/// (four per octave: at most 25 % larger, and the untouched tail of a fresh buffer costs no
/// memory) and kept, per class, after their storage dies; the pool keeps at most `limitBytes`.
/// Small buffers go straight to the allocator, which already recycles them well.
enum BufferPool {
    /// Smaller buffers (below 16 KiB) are not pooled.
    static let minimumCount = 4 * 1024
    /// The most memory the pool keeps unused.
    static let limitBytes = 512 << 20

    private static let lock = NSLock()
    nonisolated(unsafe) private static var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    nonisolated(unsafe) private static var keptBytes = 0

    /// The size class of `count` elements: the smallest `m·2ᵉ ≥ count` with `m` in 4…7.
    static func sizeClass(_ count: Int) -> Int {
        guard count >= minimumCount else { return Swift.max(count, 1) }
        let shift = (Int.bitWidth - 1 - count.leadingZeroBitCount) - 2  // count < 8·2^shift
        let step = 1 << shift
        return (count + step - 1) / step * step
    }

    /// Room for `count` elements (uninitialised) and its capacity.
    static func allocate(_ count: Int) -> (UnsafeMutablePointer<Float>, Int) {
        let capacity = sizeClass(count)
        if capacity >= minimumCount {
            lock.lock()
            if let pointer = free[capacity]?.popLast() {
                keptBytes -= capacity * MemoryLayout<Float>.stride
                lock.unlock()
                return (pointer, capacity)
            }
            lock.unlock()
            // Cache-line aligned, so that a product's rows start on a line (the GEMM's
            // non-temporal stores need it; a plain allocation of this size is 16-byte aligned).
            let raw = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            return (raw.bindMemory(to: Float.self, capacity: capacity), capacity)
        }
        return (.allocate(capacity: capacity), capacity)
    }

    /// Frees every kept buffer. For moments when the buffers just released will not be asked for
    /// again (a model's parameters moved into flat buffers): kept, they would only add to the
    /// resident size.
    static func releaseKept() {
        lock.lock()
        let kept = free
        free = [:]
        keptBytes = 0
        lock.unlock()
        for (_, pointers) in kept { for pointer in pointers { pointer.deallocate() } }
    }

    /// Returns a buffer from `allocate` (its elements are trivial: nothing to deinitialise).
    static func release(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) {
        if capacity >= minimumCount {
            let bytes = capacity * MemoryLayout<Float>.stride
            lock.lock()
            if keptBytes + bytes <= limitBytes {
                free[capacity, default: []].append(pointer)
                keptBytes += bytes
                lock.unlock()
                return
            }
            lock.unlock()
        }
        pointer.deallocate()
    }
}
