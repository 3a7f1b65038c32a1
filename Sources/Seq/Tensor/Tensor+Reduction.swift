extension Tensor {
    /// The sum of all elements, as a scalar tensor.
    public func sum() -> Tensor {
        let result = Tensor(Kernels.sum(storage.pointer, count: count))
        guard Tensor.tracks(self) else { return result }
        let shape = self.shape
        return result.recorded(from: [self]) { g in [Tensor(repeating: g.scalar, shape: shape)] }
    }

    /// The mean of all elements, as a scalar tensor.
    public func mean() -> Tensor { sum() * (1 / Float(Swift.max(count, 1))) }

    /// Sums along `axis`; keeps it with size 1 when `keepingAxis`.
    public func sum(axis: Int, keepingAxis: Bool = false) -> Tensor {
        let axis = normalize(axis: axis)
        let outer = shape[..<axis].reduce(1, *), length = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var kept = shape
        kept[axis] = 1
        var result = Tensor(zeros: kept)
        let x = storage.pointer, y = result.storage.pointer
        for o in 0..<outer {
            for l in 0..<length { Kernels.add(x + (o * length + l) * inner, into: y + o * inner, count: inner) }
        }
        if Tensor.tracks(self) {
            let fullShape = shape
            result = result.recorded(from: [self]) { g in [g.expanded(to: fullShape)] }
        }
        if keepingAxis { return result }
        var reduced = shape
        reduced.remove(at: axis)
        return result.reshaped(reduced)
    }

    /// The mean along `axis`; keeps it with size 1 when `keepingAxis`.
    public func mean(axis: Int, keepingAxis: Bool = false) -> Tensor {
        sum(axis: axis, keepingAxis: keepingAxis) * (1 / Float(Swift.max(size(axis), 1)))
    }

    /// This tensor broadcast to `target` (copying), without recording gradients.
    func expanded(to target: [Int]) -> Tensor {
        if shape == target { return detached() }
        return Tensor.broadcastApply(.add, Tensor(zeros: target), detached())
    }

    /// Index of the largest element along the last axis, for each row (the first on ties; NaN
    /// is never the largest; 0 for a row with nothing larger than −∞).
    public func argmaxLastAxis() -> [Int] {
        mapRows(Kernels.argmax)
    }

    /// `transform(row, width)` for every row over the last axis, rows split over the threads.
    func mapRows<Result>(_ transform: (UnsafePointer<Float>, Int) -> Result) -> [Result] {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        let x = UnsafePointer(storage.pointer)
        return [Result](unsafeUninitializedCapacity: rows) { result, initialized in
            let out = result.baseAddress!
            Parallel.forEachPart(units: rows, costPerUnit: width) { part in
                for r in part { (out + r).initialize(to: transform(x + r * width, width)) }
            }
            initialized = rows
        }
    }
}
