extension Tensor {
    /// The same elements under a new shape; one dimension may be `-1` (inferred).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let unknown = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != unknown }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[unknown] = count / known
        }
        precondition(target.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let result = Tensor(shape: target, storage: storage)
        guard Tensor.tracks(self) else { return result }
        let original = shape
        return result.recorded(from: [self]) { g in [Tensor(shape: original, storage: g.storage)] }
    }

    /// Reorders the axes: axis `i` of the result is axis `axes[i]` of this tensor (copies).
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "\(axes) is not a permutation of the axes of \(shape)")
        if axes == Array(0..<rank) { return self }
        let newShape = axes.map { shape[$0] }
        var sourceStrides = [Int](repeating: 1, count: rank)
        for axis in stride(from: rank - 2, through: 0, by: -1) { sourceStrides[axis] = sourceStrides[axis + 1] * shape[axis + 1] }
        let readStrides = axes.map { sourceStrides[$0] }
        var result = Tensor(uninitialized: newShape)
        let x = storage.pointer, y = result.storage.pointer
        Parallel.forEachPart(units: Broadcasting.runCount(newShape), costPerUnit: newShape.last ?? 1) { rows in
            Broadcasting.forEachRow(shape: newShape, aStrides: readStrides, bStrides: readStrides, rows: rows) { o, s, _, inner, stride, _ in
                if stride == 1 {
                    (y + o).update(from: x + s, count: inner)
                } else {
                    for j in 0..<inner { y[o + j] = x[s + j * stride] }
                }
            }
        }
        guard Tensor.tracks(self) else { return result }
        var inverse = [Int](repeating: 0, count: rank)
        for (i, axis) in axes.enumerated() { inverse[axis] = i }
        return result.recorded(from: [self]) { g in [g.permuted(inverse)] }
    }

    /// Swaps two axes (copies).
    public func transposed(_ first: Int = -2, _ second: Int = -1) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(normalize(axis: first), normalize(axis: second))
        return permuted(axes)
    }

    /// Joins tensors along `axis`; all other dimensions must agree.
    public static func concatenate(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let axis = first.normalize(axis: axis)
        var shape = first.shape
        shape[axis] = 0
        for t in tensors {
            precondition(t.rank == first.rank, "concatenate: ranks differ")
            for d in 0..<t.rank where d != axis { precondition(t.shape[d] == first.shape[d], "concatenate: \(t.shape) vs \(first.shape) on axis \(d)") }
            shape[axis] += t.shape[axis]
        }
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let outRow = shape[axis] * inner
        var result = Tensor(uninitialized: shape)
        let y = result.storage.pointer
        var offset = 0
        for t in tensors {
            let row = t.shape[axis] * inner
            for o in 0..<outer { (y + o * outRow + offset).update(from: t.storage.pointer + o * row, count: row) }
            offset += row
        }
        guard tracks(tensors) else { return result }
        let sizes = tensors.map { $0.shape[axis] }
        return result.recorded(from: tensors) { g in
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return g.sliced(axis: axis, start..<(start + size))
            }
        }
    }

    /// The elements with index in `range` along `axis` (copies).
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = normalize(axis: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) out of bounds for axis \(axis) of \(shape)")
        var newShape = shape
        newShape[axis] = range.count
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        let sourceRow = shape[axis] * inner, row = range.count * inner
        var result = Tensor(uninitialized: newShape)
        let x = storage.pointer, y = result.storage.pointer
        for o in 0..<outer { (y + o * row).update(from: x + o * sourceRow + range.lowerBound * inner, count: row) }
        guard Tensor.tracks(self) else { return result }
        let fullShape = shape
        return result.recorded(from: [self]) { g in
            var full = Tensor(zeros: fullShape)
            let d = full.storage.pointer
            for o in 0..<outer { (d + o * sourceRow + range.lowerBound * inner).update(from: g.storage.pointer + o * row, count: row) }
            full.node = nil
            return [full]
        }
    }

    /// Splits along `axis` into pieces of the given sizes.
    public func split(axis: Int, sizes: [Int]) -> [Tensor] {
        precondition(sizes.reduce(0, +) == size(axis), "split sizes \(sizes) do not add up to \(size(axis))")
        var start = 0
        return sizes.map { size in
            defer { start += size }
            return sliced(axis: axis, start..<(start + size))
        }
    }

    /// Splits along `axis` into `count` equal pieces.
    public func chunked(_ count: Int, axis: Int) -> [Tensor] {
        precondition(size(axis) % count == 0, "axis \(axis) of \(shape) does not split into \(count)")
        return split(axis: axis, sizes: Array(repeating: size(axis) / count, count: count))
    }
}
