/// The four element-wise binary operators, with broadcasting.
enum BinaryOperator {
    case add, subtract, multiply, divide

    @inline(__always)
    func apply(_ x: Float, _ y: Float) -> Float {
        switch self {
        case .add: x + y
        case .subtract: x - y
        case .multiply: x * y
        case .divide: x / y
        }
    }
}

extension Tensor {
    /// Applies `op` element-wise with broadcasting, without recording gradients.
    static func broadcastApply(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : Broadcasting.shape(a.shape, b.shape)
        var result = Tensor(uninitialized: shape)
        let x = a.storage.pointer, y = b.storage.pointer, out = result.storage.pointer
        let n = result.count
        // Each case spells its loop out so that it vectorises.
        // The common layouts are split over the engine's threads (`Parallel`).
        @inline(__always) func run(_ body: (Float, Float) -> Float) {
            if a.count == n && b.count == n {
                Parallel.forEachPart(units: n) { part in for i in part { out[i] = body(x[i], y[i]) } }
            } else if b.count == 1 {
                let s = y[0]
                Parallel.forEachPart(units: n) { part in for i in part { out[i] = body(x[i], s) } }
            } else if a.count == 1 {
                let s = x[0]
                Parallel.forEachPart(units: n) { part in for i in part { out[i] = body(s, y[i]) } }
            } else if a.count == n, let block = Broadcasting.trailingBlock(b.shape, in: shape) {
                Parallel.forEachPart(units: n / block, costPerUnit: block) { rows in
                    for row in rows {
                        let o = out + row * block, xs = x + row * block
                        for j in 0..<block { o[j] = body(xs[j], y[j]) }
                    }
                }
            } else if b.count == n, let block = Broadcasting.trailingBlock(a.shape, in: shape) {
                Parallel.forEachPart(units: n / block, costPerUnit: block) { rows in
                    for row in rows {
                        let o = out + row * block, ys = y + row * block
                        for j in 0..<block { o[j] = body(x[j], ys[j]) }
                    }
                }
            } else {
                let aStrides = Broadcasting.strides(of: a.shape, in: shape)
                let bStrides = Broadcasting.strides(of: b.shape, in: shape)
                Broadcasting.forEachRow(shape: shape, aStrides: aStrides, bStrides: bStrides) { o, ao, bo, inner, sa, sb in
                    for j in 0..<inner { out[o + j] = body(x[ao + j * sa], y[bo + j * sb]) }
                }
            }
        }
        switch op {
        case .add: run { $0 + $1 }
        case .subtract: run { $0 - $1 }
        case .multiply: run { $0 * $1 }
        case .divide: run { $0 / $1 }
        }
        return result
    }

    static func binary(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor) -> Tensor {
        let result = broadcastApply(op, a, b)
        guard tracks(a, b) else { return result }
        let aShape = a.shape, bShape = b.shape
        // Only the gradients someone needs: a dropout mask or a constant factor has none, and
        // working its out cost a pass over the output (a product and a sum) for nothing.
        let needsA = a.requiresGradient, needsB = b.requiresGradient
        return result.recorded(from: [a, b]) { g in
            switch op {
            case .add:
                return [needsA ? g.summed(toShape: aShape) : nil, needsB ? g.summed(toShape: bShape) : nil]
            case .subtract:
                return [needsA ? g.summed(toShape: aShape) : nil, needsB ? (-g).summed(toShape: bShape) : nil]
            case .multiply:
                return [needsA ? (g * b.detached()).summed(toShape: aShape) : nil,
                        needsB ? (g * a.detached()).summed(toShape: bShape) : nil]
            case .divide:
                let bb = b.detached()
                return [needsA ? (g / bb).summed(toShape: aShape) : nil,
                        needsB ? (-(g * a.detached()) / (bb * bb)).summed(toShape: bShape) : nil]
            }
        }
    }

    public static func + (a: Tensor, b: Tensor) -> Tensor { binary(.add, a, b) }
    public static func - (a: Tensor, b: Tensor) -> Tensor { binary(.subtract, a, b) }
    public static func * (a: Tensor, b: Tensor) -> Tensor { binary(.multiply, a, b) }
    public static func / (a: Tensor, b: Tensor) -> Tensor { binary(.divide, a, b) }

    public static func + (a: Tensor, s: Float) -> Tensor { a + Tensor(s) }
    public static func - (a: Tensor, s: Float) -> Tensor { a - Tensor(s) }
    public static func * (a: Tensor, s: Float) -> Tensor { a * Tensor(s) }
    public static func / (a: Tensor, s: Float) -> Tensor { a * Tensor(1 / s) }
    public static func + (s: Float, a: Tensor) -> Tensor { Tensor(s) + a }
    public static func - (s: Float, a: Tensor) -> Tensor { Tensor(s) - a }
    public static func * (s: Float, a: Tensor) -> Tensor { Tensor(s) * a }

    public static prefix func - (a: Tensor) -> Tensor { a.map(.negate) }

    public static func += (a: inout Tensor, b: Tensor) { a = a + b }
    public static func -= (a: inout Tensor, b: Tensor) { a = a - b }
    public static func *= (a: inout Tensor, b: Tensor) { a = a * b }

    /// Adds `other` into this tensor's elements (same shape), without recording gradients.
    mutating func addInPlace(_ other: Tensor) {
        precondition(shape == other.shape, "addInPlace: \(shape) vs \(other.shape)")
        makeUnique()
        Parallel.add(other.storage.pointer, into: storage.pointer, count: count)
    }
}
