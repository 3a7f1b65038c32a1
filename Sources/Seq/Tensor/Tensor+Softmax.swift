extension Tensor {
    /// Softmax over the last axis, computed stably (the row maximum is subtracted first).
    public func softmax() -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        var result = Tensor(uninitialized: shape)
        let x = storage.pointer, y = result.storage.pointer
        Parallel.forEachPart(units: rows, costPerUnit: width) { part in
            for r in part {
                let xr = x + r * width, yr = y + r * width
                let total = Kernels.shiftedExp(xr, shift: Kernels.maximum(xr, count: width), into: yr, count: width)
                let inverse = 1 / total
                for j in 0..<width { yr[j] *= inverse }
            }
        }
        guard Tensor.tracks(self) else { return result }
        let output = result.detached()
        return result.recorded(from: [self]) { g in
            // dx = y ⊙ (g − Σ g⊙y)
            var dx = Tensor(uninitialized: output.shape)
            let gy = g.storage.pointer, yy = output.storage.pointer, d = dx.storage.pointer
            Parallel.forEachPart(units: rows, costPerUnit: width) { part in
                for r in part {   // row pointers: indexed as `o + j`, the loop stayed scalar (see layerNormalized)
                    let gr = gy + r * width, yr = yy + r * width, dr = d + r * width
                    let dotted = Kernels.dot(gr, yr, count: width)
                    for j in 0..<width { dr[j] = yr[j] * (gr[j] - dotted) }
                }
            }
            return [dx]
        }
    }

    /// `log Σⱼ exp(x[r, j])` for every row `r` over the last axis, computed stably and without
    /// materialising the softmax: `x[r, j] − result[r]` is the log-probability. A row of `−∞`
    /// gives `−∞`. Not recorded for gradients (a search's normaliser).
    public func rowLogSumExp() -> [Float] {
        mapRows(Kernels.logSumExp)
    }

    /// Log-softmax over the last axis, computed stably.
    public func logSoftmax() -> Tensor {
        let width = shape.last ?? 1, rows = count / Swift.max(width, 1)
        var result = Tensor(uninitialized: shape)
        let x = storage.pointer, y = result.storage.pointer
        Parallel.forEachPart(units: rows, costPerUnit: width) { part in
            for r in part {
                let xr = x + r * width, yr = y + r * width
                let shift = Kernels.maximum(xr, count: width)
                let logSum = logf(Kernels.shiftedExp(xr, shift: shift, into: yr, count: width))
                for j in 0..<width { yr[j] = (xr[j] - shift) - logSum }
            }
        }
        guard Tensor.tracks(self) else { return result }
        let output = result.detached()
        return result.recorded(from: [self]) { g in
            // dx = g − softmax · Σ g
            var dx = Tensor(uninitialized: output.shape)
            let gy = g.storage.pointer, yy = output.storage.pointer, d = dx.storage.pointer
            Parallel.forEachPart(units: rows, costPerUnit: width) { part in
                for r in part {
                    let gr = gy + r * width, yr = yy + r * width, dr = d + r * width
                    let total = Kernels.sum(gr, count: width)
                    for j in 0..<width { dr[j] = gr[j] - fastExp(yr[j]) * total }
                }
            }
            return [dx]
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
