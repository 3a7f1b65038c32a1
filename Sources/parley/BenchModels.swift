import ArgumentParser
import Foundation
import Seq
import Translate

/// `parley bench models`: training and decoding speed of the three benchmark configurations of
/// `../shared/bench/CONFIGS.md`, for side-by-side comparison with the PyTorch and CTranslate2 peers.
struct BenchModels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Time a training step and greedy/beam decoding of the benchmark models (one JSON object per line).",
        discussion: """
            Training: forward + label-smoothed cross-entropy + backward + Adam on 64 pairs of \
            length 20 (3 warm-up steps, median of the timed ones). Decoding: encoding plus exactly \
            20 decoder steps through GreedySearch/BeamSearch, greedy and beam 5 at batch 1 and 32. \
            Floor: the weight matrices a batch-1 decoder step multiplies, times one row, back to \
            back on the same threads and kernel; its sentences_per_s is the greedy batch-1 ceiling \
            of 20 such steps (no encoder, no search).
            """)

    enum Selection: String, ExpressibleByArgument, CaseIterable {
        case rnn, bahdanau, transformer, all
    }

    enum Part: String, ExpressibleByArgument, CaseIterable {
        case train, decode, all, floor
    }

    @Option(help: "rnn, bahdanau, transformer or all.")
    var model: Selection = .all

    @Option(help: "Threads for the matrix products and the rest of the work.")
    var threads: Int = 2

    @Option(help: "train, decode, all (both), or floor: the time a batch-1 decoder step's weight products alone take here, at one row or --beam rows (not in all).")
    var part: Part = .all

    @Option(help: "Timed training steps after 3 warm-up steps (the median is reported).")
    var trainSteps: Int = 9

    @Option(help: "Timed seconds to accumulate per decoding case (at least 5 calls).")
    var decodeSeconds: Double = 2.5

    @Option(help: "Decode with this beam width only (the benchmark's are 1 and 5; any width, for profiling one case).")
    var beam: Int?

    @Option(help: "Decode batches of this size only (the benchmark's are 1 and 32; any size, for profiling one case).")
    var batch: Int?

    @Option(help: "Weights read by decoding steps of up to 8 hypotheses (and the floor): float32 (the benchmark's), or bfloat16 (a separate, reduced-precision figure).")
    var weightPrecision: PackedWeights.Precision = .float32

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard trainSteps >= 1 else { throw ValidationError("--train-steps must be at least 1") }
        guard decodeSeconds >= 0 else { throw ValidationError("--decode-seconds must not be negative") }
        guard (beam ?? 1) >= 1 else { throw ValidationError("--beam must be at least 1") }
        guard (batch ?? 1) >= 1 else { throw ValidationError("--batch must be at least 1") }
        if part == .floor {
            guard (1...8).contains(beam ?? 1) else { throw ValidationError("--part floor takes --beam 1 to 8 (the panel kernel's rows)") }
            guard (batch ?? 1) == 1 else { throw ValidationError("--part floor is a batch-1 step's; --batch must be 1 or left out") }
        }
        guard weightPrecision.isSupported else {
            throw ValidationError("--weight-precision \(weightPrecision.rawValue) needs the panel kernel (AVX-512, or AVX2 and FMA), which the portable form in use lacks (its figures would be float32's)")
        }
    }

    func run() throws {
        GEMM.setThreadCount(threads)
        let weights = weightPrecision.rawValue
        let models = model == .all ? BenchmarkModel.allCases : [BenchmarkModel(rawValue: model.rawValue)!]
        for kind in models {
            let bench = ModelBenchmark(model: kind, timedSteps: trainSteps, decodeSeconds: decodeSeconds)
            if part == .train || part == .all {
                // Training first, in a fresh model, so the peak resident size is this measurement's.
                let t = try bench.measureTraining()
                emit([
                    "bench": "models", "model": kind.rawValue, "measure": "train_step",
                    "tgt_tokens_per_s": rounded(t.targetTokensPerSecond, places: 1),
                    "ms_per_step": rounded(t.medianSeconds * 1e3, places: 1),
                    "ms_per_step_min": rounded(t.stepSeconds.min()! * 1e3, places: 1),
                    "ms_per_step_max": rounded(t.stepSeconds.max()! * 1e3, places: 1),
                    "reps": t.stepSeconds.count,
                    "peak_rss_mib": rounded(t.peakResidentMiB, places: 1),
                    "rss_before_training_mib": rounded(t.residentBeforeMiB, places: 1),
                    "rss_growth_mib": rounded(t.peakResidentMiB - t.residentBeforeMiB, places: 1),
                    "params": t.parameterCount, "peer_params": kind.peerParameterCount,
                    "loss_first": Double(t.firstLoss), "loss_last": Double(t.lastLoss), "threads": threads,
                ])
            }
            if part == .floor {
                let network = try bench.makeModel()
                network.setPanelPrecision(weightPrecision)
                guard let f = bench.measureStepFloor(model: network, beam: beam ?? 1) else {
                    throw ValidationError("--part floor needs the panel kernel (AVX-512, or AVX2 and FMA; not with PARLEY_NO_AVX2 set on a CPU without AVX-512)")
                }
                emit([
                    "bench": "models", "model": kind.rawValue, "measure": "decode_step_floor", "beam": f.rows, "batch": 1,
                    "weight_mb": rounded(Double(f.bytes) / 1e6, places: 1),
                    "us_per_step": rounded(f.medianSeconds * 1e6, places: 1),
                    "us_per_step_min": rounded(f.passSeconds.min()! * 1e6, places: 1),
                    "gb_per_s": rounded(f.gigabytesPerSecond, places: 1),
                    "sentences_per_s": rounded(f.ceiling, places: 1),
                    "reps": f.passSeconds.count, "threads": threads, "weights": weights,
                ])
                continue
            }
            if part != .train {
                let network = try bench.makeModel()
                network.setPanelPrecision(weightPrecision)
                let cases = ModelBenchmark.decodingCases
                let beams = beam.map { [$0] } ?? Array(Set(cases.map(\.beam))).sorted()
                let batches = batch.map { [$0] } ?? Array(Set(cases.map(\.batch))).sorted()
                for (beam, batch) in beams.flatMap({ beam in batches.map { (beam, $0) } }) {
                    let d = bench.measureDecoding(beam: beam, batch: batch, model: network)
                    emit([
                        "bench": "models", "model": kind.rawValue, "measure": beam == 1 ? "greedy_decode" : "beam_decode",
                        "beam": beam, "batch": batch,
                        "sentences_per_s": rounded(d.sentencesPerSecond, places: 1),
                        "ms_per_batch": rounded(d.medianSeconds * 1e3, places: 2),
                        "ms_per_batch_min": rounded(d.callSeconds.min()! * 1e3, places: 2),
                        "reps": d.callSeconds.count, "params": network.parameterCount, "threads": threads, "weights": weights,
                    ])
                }
            }
        }
    }
}
