import CKernels
import Dispatch

/// The floor under a batch-1 decoding step: its weight matrices times one row, back to back on
/// the worker team, each split by columns with a barrier after it (`parley_weight_stream.c`) —
/// the products of the fused Transformer step and nothing else. At batch 1 a step reads every
/// decoder weight once, so no step through the same kernel can take less time on this machine;
/// `parley bench models --part floor` reports it beside the decoding figures.
public enum WeightStream {
    /// Seconds per pass over `weights` (each `[outputs, inputs]`, row-major), for `passes` passes
    /// after two untimed ones; `nil` where the AVX-512 kernels are not used.
    public static func passSeconds(_ weights: [Tensor], passes: Int) -> [Double]? {
        guard GEMM.usesAVX512Kernels, !weights.isEmpty else { return nil }
        precondition(weights.allSatisfy { $0.rank == 2 }, "weight matrices are [outputs, inputs]")
        let pointers: [UnsafePointer<Float>?] = weights.map { UnsafePointer($0.storage.pointer) }
        let outputs = weights.map { Int32($0.shape[0]) }, inputs = weights.map { Int32($0.shape[1]) }
        var x = [Float](repeating: 0, count: Int(inputs.max()!))
        for i in x.indices { x[i] = Float(i % 17) / 17 - 0.5 }
        var y = [Float](repeating: 0, count: Int(outputs.max()!))
        var times: [Double] = []
        withExtendedLifetime(weights) {
            for pass in 0..<(passes + 2) {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = parley_weight_stream(pointers, outputs, inputs, Int32(weights.count), x, &y)
                if pass >= 2 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
            }
        }
        return times
    }
}
