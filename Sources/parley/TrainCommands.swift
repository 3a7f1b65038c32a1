import ArgumentParser
import Dispatch
import Foundation
import Translate

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options shared by commands that read an experiment configuration.
struct ConfigurationOptions: ParsableArguments {
    @Argument(help: "The experiment configuration (YAML).")
    var config: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a configuration key, e.g. --set training.batchTokens=4096 (repeatable).", valueName: "key=value"))
    var overrides: [String] = []

    func load() throws -> ExperimentConfiguration {
        try ExperimentConfiguration.load(from: URL(fileURLWithPath: config), overrides: overrides)
    }
}

/// The working directory, against which relative paths in configurations resolve.
var workingDirectory: URL { URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true) }

struct Prepare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Learn the tokenisers from the training data and encode it into the model directory.")

    @OptionGroup var options: ConfigurationOptions

    func run() throws {
        var configuration = try options.load()
        let report = try Preparation.run(&configuration, base: workingDirectory) { printError($0) }
        printError("prepared \(configuration.modelDirectory): \(report.trainPairs) training pairs, \(report.devPairs) dev pairs (\(String(format: "%.1f", report.seconds)) s)")
    }
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model (prepares the model directory first unless --resume).")

    @OptionGroup var options: ConfigurationOptions

    @Flag(help: "Continue from the model directory's last checkpoint.")
    var resume = false

    @Flag(help: "Print log lines instead of a live progress line.")
    var noProgress = false

    func run() throws {
        var configuration = try options.load()
        let directory = resolvePath(configuration.modelDirectory)
        if !resume {
            try Preparation.run(&configuration, base: workingDirectory) { printError($0) }
            // A fresh run starts a fresh log.
            try? FileManager.default.removeItem(at: ModelDirectory(directory).log)
        }
        let trainer = try Trainer(directory: directory, resume: resume, overrides: resume ? options.overrides : [])
        let interrupt = InterruptHandler { trainer.stopRequest.set() }
        defer { interrupt.restore() }
        let progress = ProgressLine(enabled: !noProgress && isatty(STDERR_FILENO) != 0)
        let summary = try trainer.run { event in
            switch event {
            case .message(let text): progress.log(text)
            case .step(let step): progress.update(step, maximumSteps: trainer.configuration.training.maximumSteps)
            case .validation(let v):
                progress.log(String(format: "validation at step %d: loss %.3f, perplexity %.2f, BLEU %.2f, chrF %.2f%@ (%.1f s)",
                                    v.step, v.loss, v.perplexity, v.bleu, v.chrF, v.isBest ? " (best)" : "", v.seconds))
            }
        }
        progress.finish()
        if let best = summary.best {
            printError(String(format: "best: step %d, BLEU %.2f, chrF %.2f; model in %@", best.step, best.bleu, best.chrF, directory.path))
        }
        if summary.reason == .interrupted { printError("interrupted: saved the last checkpoint; continue with --resume") }
    }
}

/// A one-line live display on a terminal; plain log lines otherwise.
final class ProgressLine {
    let enabled: Bool
    private var showing = false

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ step: StepReport, maximumSteps: Int) {
        var text = String(format: "step %d | epoch %d | loss %.3f | %.0f tok/s | lr %.2e | pad %.0f%%",
                          step.step, step.epoch + 1, step.loss, step.targetTokensPerSecond, step.learningRate, step.paddingRatio * 100)
        if let remaining = step.secondsRemaining, maximumSteps > 0 { text += " | ETA \(formatDuration(remaining))" }
        if enabled {
            FileHandle.standardError.write(Data(("\r\u{1B}[K" + text).utf8))
            showing = true
        } else {
            printError(text)
        }
    }

    func log(_ text: String) {
        if showing { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        printError(text)
        showing = false
    }

    func finish() {
        if showing { FileHandle.standardError.write(Data("\n".utf8)) }
        showing = false
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
}

func resolvePath(_ path: String) -> URL {
    path.hasPrefix("/") ? URL(fileURLWithPath: path) : workingDirectory.appendingPathComponent(path).standardizedFileURL
}
