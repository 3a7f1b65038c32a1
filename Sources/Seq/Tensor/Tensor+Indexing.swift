extension Tensor {
    /// Rows of this tensor picked by index along the first axis (embedding lookup, beam reordering).
    ///
    /// - Parameters:
    ///   - indices: row numbers in `0..<shape[0]`; repeats allowed.
    ///   - indexShape: the shape to give the indices in the result (defaults to `[indices.count]`).
    /// - Returns: `indexShape + shape[1...]`. The gradient scatter-adds back into the rows.
    public func gatherRows(_ indices: [Int], indexShape: [Int]? = nil) -> Tensor {
        precondition(rank >= 1, "gatherRows needs at least one axis")
        let rowCount = shape[0], width = count / Swift.max(rowCount, 1)
        let leading = indexShape ?? [indices.count]
        precondition(leading.reduce(1, *) == indices.count, "index shape \(leading) does not hold \(indices.count) indices")
        var result = Tensor(uninitialized: leading + shape.dropFirst())
        let x = storage.pointer, y = result.storage.pointer
        for (i, row) in indices.enumerated() {
            precondition(row >= 0 && row < rowCount, "row index \(row) out of range 0..<\(rowCount)")
            (y + i * width).update(from: x + row * width, count: width)
        }
        guard Tensor.tracks(self) else { return result }
        let tableShape = shape
        return result.recorded(from: [self]) { g in
            var table = Tensor(zeros: tableShape)
            let d = table.storage.pointer, gy = g.storage.pointer
            for (i, row) in indices.enumerated() { Kernels.add(gy + i * width, into: d + row * width, count: width) }
            return [table]
        }
    }

    /// This tensor with `value` wherever `mask` (broadcast to this shape) is non-zero.
    ///
    /// Typical masks: padding `[batch, 1, 1, sourceLength]` and causal `[targetLength, targetLength]`
    /// over attention scores `[batch, heads, targetLength, sourceLength]`. No gradient flows to
    /// filled positions, nor to the mask.
    public func maskedFill(_ mask: Tensor, with value: Float) -> Tensor {
        precondition(Broadcasting.shape(shape, mask.shape) == shape, "mask \(mask.shape) does not broadcast to \(shape)")
        let fill = Tensor(value)
        // Written as x·(1−m) + v·m would turn −∞ into NaN, so select directly.
        var result = Tensor(uninitialized: shape)
        let x = storage.pointer, y = result.storage.pointer
        let keep = Tensor.broadcastApply(.multiply, Tensor(repeating: 1, shape: shape), mask)  // m broadcast
        let m = keep.storage.pointer
        for i in 0..<count { y[i] = m[i] != 0 ? fill.scalar : x[i] }
        guard Tensor.tracks(self) else { return result }
        return result.recorded(from: [self]) { g in
            var dx = Tensor(uninitialized: keep.shape)
            let gy = g.storage.pointer, d = dx.storage.pointer
            for i in 0..<keep.count { d[i] = m[i] != 0 ? 0 : gy[i] }
            return [dx]
        }
    }

    /// Inverted dropout: zeroes each element with probability `probability` and scales the rest by
    /// `1/(1−probability)`, drawing from `generator`.
    public func dropout(probability: Float, generator: RandomGenerator) -> Tensor {
        precondition(probability >= 0 && probability < 1, "dropout probability \(probability) outside [0, 1)")
        if probability == 0 { return self }
        var mask = Tensor(uninitialized: shape)
        let scale = 1 / (1 - probability)
        let m = mask.storage.pointer
        // One draw from the shared stream names this mask; its elements are drawn from that key
        // by index, on every thread at once (drawn one by one, a training step's masks took
        // 2 % of the step on a thread of their own).
        let key = generator.next()
        Parallel.forEachPart(units: count, costPerUnit: 8) { part in
            for i in part { m[i] = RandomGenerator.unit(key: key, index: i) < probability ? 0 : scale }
        }
        mask.node = nil
        return self * mask
    }
}
