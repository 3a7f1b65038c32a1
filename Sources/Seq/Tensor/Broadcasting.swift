/// NumPy-style broadcasting: shapes align at their trailing axes; an axis of size 1 (or a
/// missing leading axis) stretches to match the other operand.
enum Broadcasting {
    /// The shape of the result of broadcasting `a` against `b`.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = Swift.max(a.count, b.count)
        var result = [Int](repeating: 1, count: rank)
        for axis in 0..<rank {
            let da = axis < rank - a.count ? 1 : a[axis - (rank - a.count)]
            let db = axis < rank - b.count ? 1 : b[axis - (rank - b.count)]
            precondition(da == db || da == 1 || db == 1, "shapes \(a) and \(b) do not broadcast")
            result[axis] = da == 1 ? db : da  // not max: a size-0 axis stays 0 against 1
        }
        return result
    }

    /// Element strides of `shape` read as `target` (0 along stretched axes).
    static func strides(of shape: [Int], in target: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: target.count)
        var stride = 1
        for axis in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
            let targetAxis = axis + target.count - shape.count
            strides[targetAxis] = shape[axis] == 1 ? 0 : stride
            stride *= shape[axis]
        }
        return strides
    }

    /// If `small` broadcasts over `large` by repeating a contiguous block (a trailing shape,
    /// possibly with leading 1s), the block's length.
    static func trailingBlock(_ small: [Int], in large: [Int]) -> Int? {
        var trimmed = small[...]
        while let first = trimmed.first, first == 1, trimmed.count > 0 { trimmed = trimmed.dropFirst() }
        guard trimmed.count <= large.count, Array(large.suffix(trimmed.count)) == Array(trimmed) else { return nil }
        return trimmed.reduce(1, *)
    }

    /// Calls `body(outputOffset, aOffset, bOffset, innerCount, aInnerStride, bInnerStride)` for
    /// each run along the last axis of `shape`, where `a` and `b` are read with the given strides.
    static func forEachRow(
        shape: [Int], aStrides: [Int], bStrides: [Int],
        _ body: (Int, Int, Int, Int, Int, Int) -> Void
    ) {
        forEachRow(shape: shape, aStrides: aStrides, bStrides: bStrides, rows: 0..<runCount(shape), body)
    }

    /// The number of runs along the last axis of `shape` that `forEachRow` visits (a scalar is one).
    static func runCount(_ shape: [Int]) -> Int { shape.reduce(1, *) / Swift.max(shape.last ?? 1, 1) }

    /// `forEachRow` over the runs numbered `rows` only (a share of the work for one thread).
    static func forEachRow(
        shape: [Int], aStrides: [Int], bStrides: [Int], rows: Range<Int>,
        _ body: (Int, Int, Int, Int, Int, Int) -> Void
    ) {
        let rank = shape.count
        guard rank > 0 else { if !rows.isEmpty { body(0, 0, 0, 1, 0, 0) }; return }
        let inner = shape[rank - 1]
        if inner == 0 || rows.isEmpty { return }
        // The multi-index of the first run, and the offsets it starts at.
        var index = [Int](repeating: 0, count: rank - 1)
        var aOffset = 0, bOffset = 0
        var remainder = rows.lowerBound
        for axis in stride(from: rank - 2, through: 0, by: -1) where shape[axis] > 0 {
            index[axis] = remainder % shape[axis]
            remainder /= shape[axis]
            aOffset += index[axis] * aStrides[axis]
            bOffset += index[axis] * bStrides[axis]
        }
        for row in rows {
            body(row * inner, aOffset, bOffset, inner, aStrides[rank - 1], bStrides[rank - 1])
            // Advance the multi-index over the leading axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                aOffset += aStrides[axis]
                bOffset += bStrides[axis]
                if index[axis] < shape[axis] { break }
                aOffset -= aStrides[axis] * shape[axis]
                bOffset -= bStrides[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}

extension Tensor {
    /// Sums this gradient down to `target`, the shape of an operand that was broadcast to this shape.
    func summed(toShape target: [Int]) -> Tensor {
        if shape == target { return self }
        let targetCount = target.reduce(1, *)
        var result = Tensor(zeros: target)
        let source = storage.pointer
        let out = result.storage.pointer
        if targetCount == 1 {
            out[0] = Kernels.sum(source, count: count)
        } else if let block = Broadcasting.trailingBlock(target, in: shape) {
            // A bias's gradient: each thread sums a band of the columns over every row, in row order.
            let rows = count / block
            Parallel.forEachPart(units: block, costPerUnit: rows) { columns in
                for start in stride(from: 0, to: count, by: block) {
                    Kernels.add(source + start + columns.lowerBound, into: out + columns.lowerBound, count: columns.count)
                }
            }
        } else {
            let strides = Broadcasting.strides(of: target, in: shape)
            Broadcasting.forEachRow(shape: shape, aStrides: strides, bStrides: strides) { o, t, _, inner, tStride, _ in
                if tStride == 0 {
                    out[t] += Kernels.sum(source + o, count: inner)
                } else {
                    Kernels.add(source + o, into: out + t, count: inner)
                }
            }
        }
        result.node = nil
        return result
    }
}
