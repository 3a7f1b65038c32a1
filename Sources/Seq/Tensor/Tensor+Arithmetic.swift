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

/// An element-wise binary operator as a type. A loop generic over it is specialised for each
/// operator, which is then inlined and the loop vectorised. Passed as closures instead, the
/// operators of some loops stayed indirect calls, one per element (broadcast arithmetic was
/// 6–7 % of a Transformer training step's samples, most of it in those calls).
private protocol ElementwiseOperator { static func apply(_ x: Float, _ y: Float) -> Float }
private enum Adding: ElementwiseOperator { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x + y } }
private enum Subtracting: ElementwiseOperator { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x - y } }
private enum Multiplying: ElementwiseOperator { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x * y } }
private enum Dividing: ElementwiseOperator { @inline(__always) static func apply(_ x: Float, _ y: Float) -> Float { x / y } }

extension Tensor {
    /// Applies `op` element-wise with broadcasting, without recording gradients.
    static func broadcastApply(_ op: BinaryOperator, _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = a.shape == b.shape ? a.shape : Broadcasting.shape(a.shape, b.shape)
        var result = Tensor(uninitialized: shape)
        switch op {
        case .add: broadcastLoops(Adding.self, a, b, into: &result)
        case .subtract: broadcastLoops(Subtracting.self, a, b, into: &result)
        case .multiply: broadcastLoops(Multiplying.self, a, b, into: &result)
        case .divide: broadcastLoops(Dividing.self, a, b, into: &result)
        }
        return result
    }

    /// `result = a op b`, `result` having the broadcast shape. The common layouts (same shapes, a
    /// scalar, a trailing block repeated) are split over the engine's threads (`Parallel`).
    private static func broadcastLoops<Op: ElementwiseOperator>(_: Op.Type, _ a: Tensor, _ b: Tensor, into result: inout Tensor) {
        let shape = result.shape
        let x = a.storage.pointer, y = b.storage.pointer, out = result.storage.pointer
        let n = result.count
        if a.count == n && b.count == n {
            Parallel.forEachPart(units: n) { part in for i in part { out[i] = Op.apply(x[i], y[i]) } }
        } else if b.count == 1 {
            let s = y[0]
            Parallel.forEachPart(units: n) { part in for i in part { out[i] = Op.apply(x[i], s) } }
        } else if a.count == 1 {
            let s = x[0]
            Parallel.forEachPart(units: n) { part in for i in part { out[i] = Op.apply(s, y[i]) } }
        } else if a.count == n, let block = Broadcasting.trailingBlock(b.shape, in: shape) {
            Parallel.forEachPart(units: n / block, costPerUnit: block) { rows in
                for row in rows {
                    let o = out + row * block, xs = x + row * block
                    for j in 0..<block { o[j] = Op.apply(xs[j], y[j]) }
                }
            }
        } else if b.count == n, let block = Broadcasting.trailingBlock(a.shape, in: shape) {
            Parallel.forEachPart(units: n / block, costPerUnit: block) { rows in
                for row in rows {
                    let o = out + row * block, ys = y + row * block
                    for j in 0..<block { o[j] = Op.apply(x[j], ys[j]) }
                }
            }
        } else {
            let aStrides = Broadcasting.strides(of: a.shape, in: shape)
            let bStrides = Broadcasting.strides(of: b.shape, in: shape)
            Broadcasting.forEachRow(shape: shape, aStrides: aStrides, bStrides: bStrides) { o, ao, bo, inner, sa, sb in
                for j in 0..<inner { out[o + j] = Op.apply(x[ao + j * sa], y[bo + j * sb]) }
            }
        }
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
