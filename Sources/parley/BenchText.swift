import ArgumentParser
import Foundation
import Text
#if canImport(Glibc)
import Glibc
#endif

/// `parley bench text`: learn, encode and decode speed of the Text pipeline on Multi30k English.
struct BenchText: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "text",
        abstract: "Time tokeniser learning, encoding and decoding; prints one JSON object per line."
    )

    @Option(help: "Corpus, one sentence per line (default: ../shared/corpora/multi30k/train.en).")
    var corpus: String?

    @Option(help: "Number of BPE merges.")
    var merges: Int = 10_000

    func run() throws {
        let path = corpus ?? Self.defaultCorpus
        let lines = try TextFile(contentsOf: URL(fileURLWithPath: path)).lines
        let configuration = TokenizerConfiguration(mode: .bpe, merges: merges)

        var start = Clock.now
        let learned = Tokenizer.learn(from: lines, configuration: configuration)
        report("learn", lines.count, start, ["merges": "\(learned.codes.merges.count)"])

        // A fresh tokeniser: its word cache starts empty, so encoding pays for every segmentation.
        let tokenizer = Tokenizer(configuration: configuration, codes: learned.codes, vocabulary: learned.vocabulary)
        start = Clock.now
        var unknown = 0
        let encoded = lines.map { tokenizer.encode($0, unknownCount: &unknown) }
        let tokens = encoded.reduce(0) { $0 + $1.count }
        report("encode", lines.count, start, ["pieces": "\(tokens)", "unknown": "\(unknown)"])

        start = Clock.now
        let decoded = encoded.map(tokenizer.decode)
        let end = Clock.now
        let exact = zip(decoded, lines).filter { $0 == tokenizer.normalize($1) }.count
        report("decode", lines.count, start, ["roundTrips": "\(exact)"], end: end)
    }

    /// Wall-clock and CPU time; CPU time shows the cost when other jobs share the cores.
    struct Clock {
        var wall: Double
        var cpu: Double

        static var now: Clock {
            var time = timespec()
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
            return Clock(wall: Date().timeIntervalSince1970, cpu: Double(time.tv_sec) + Double(time.tv_nsec) / 1e9)
        }
    }

    func report(_ op: String, _ sentences: Int, _ start: Clock, _ extra: [String: String], end: Clock = .now) {
        var extra = extra
        extra["cpuSeconds"] = String(format: "%.3f", end.cpu - start.cpu)
        let seconds = end.wall - start.wall
        var fields = "\"bench\": \"text\", \"op\": \"\(op)\", \"sentences\": \(sentences), \"seconds\": \(String(format: "%.3f", seconds))"
        for key in extra.keys.sorted() { fields += ", \"\(key)\": \(extra[key]!)" }
        print("{\(fields)}")
    }

    /// `../shared/corpora/multi30k/train.en` next to the package root.
    static var defaultCorpus: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/corpora/multi30k/train.en").path
    }
}
