import ArgumentParser
import Foundation
import Translate

/// `parley corpus …`: generate the project's own synthetic corpora.
struct Corpus: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate synthetic corpora (phrasebook English→French, algorithmic tasks).",
        subcommands: [CorpusPhrasebook.self, CorpusAlgorithmic.self]
    )
}

/// Options shared by the corpus generators.
struct CorpusSplitOptions: ParsableArguments {
    @Option(help: "Seed of the generator; the same seed gives byte-identical files.")
    var seed: UInt64 = 1

    @Option(help: "Directory for train/dev/test files (default: print tab-separated pairs to standard output).")
    var output: String?
}

/// `parley corpus phrasebook`: the grammar-generated English→French phrasebook.
struct CorpusPhrasebook: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "phrasebook",
        abstract: "Generate English→French phrasebook pairs from the built-in grammar.",
        discussion: """
        --count distinct pairs are generated; with --output, the first --dev go to dev.en/dev.fr, \
        the next --test to test.en/test.fr and the rest to train.en/train.fr, so no dev or test \
        sentence occurs in train. The shipped corpus is: \
        parley corpus phrasebook --seed 1 --count 22000 --dev 1000 --test 1000 --output corpora/phrasebook
        """
    )

    @OptionGroup var options: CorpusSplitOptions

    @Option(help: "Number of distinct pairs (train + dev + test).")
    var count: Int = 22_000

    @Option(help: "Pairs in the dev split.")
    var dev: Int = 1_000

    @Option(help: "Pairs in the test split.")
    var test: Int = 1_000

    func validate() throws {
        guard count >= 1 else { throw ValidationError("--count must be at least 1") }
        guard dev >= 0, test >= 0 else { throw ValidationError("--dev and --test must be zero or more") }
        if options.output != nil, dev + test > count {
            throw ValidationError("--dev + --test (\(dev + test)) exceeds --count (\(count))")
        }
    }

    func run() throws {
        let generator = PhrasebookGenerator(seed: options.seed)
        guard let output = options.output else {
            let text = generator.pairs(count: count).map { $0.english + "\t" + $0.french + "\n" }.joined()
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let splits = generator.splits(train: count - dev - test, dev: dev, test: test)
        try splits.write(to: URL(fileURLWithPath: output), sourceExtension: "en", targetExtension: "fr")
        reportSplits(splits, in: output)
    }
}

extension AlgorithmicTask: ExpressibleByArgument {}

/// `parley corpus algorithmic`: copy / reverse / sort sequences of letters.
struct CorpusAlgorithmic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "algorithmic",
        abstract: "Generate a copy, reverse or sort task over space-separated letters.",
        discussion: """
        Files are train.src/train.tgt, dev.src/dev.tgt, test.src/test.tgt; sources are distinct \
        across splits. The shipped corpora are, for TASK in copy, reverse, sort: \
        parley corpus algorithmic --task TASK --seed 1 --output corpora/algorithmic/TASK
        """
    )

    @Option(help: "The task: copy, reverse or sort.")
    var task: AlgorithmicTask

    @OptionGroup var options: CorpusSplitOptions

    @Option(help: "Sequences in the train split.")
    var train: Int = 5_000

    @Option(help: "Sequences in the dev split.")
    var dev: Int = 500

    @Option(help: "Sequences in the test split.")
    var test: Int = 500

    @Option(help: "Number of symbols (letters a, b, …; at most 26).")
    var vocabularySize: Int = 20

    @Option(help: "Shortest sequence.")
    var minLength: Int = 2

    @Option(help: "Longest sequence.")
    var maxLength: Int = 10

    func validate() throws {
        guard train >= 0, dev >= 0, test >= 0 else { throw ValidationError("split sizes must be zero or more") }
        guard (1...26).contains(vocabularySize) else { throw ValidationError("--vocabulary-size must be 1…26") }
        guard minLength >= 1, minLength <= maxLength else {
            throw ValidationError("need 1 ≤ --min-length ≤ --max-length")
        }
    }

    func run() throws {
        let generator = AlgorithmicTaskGenerator(task: task, seed: options.seed, vocabularySize: vocabularySize,
                                                 lengths: minLength...maxLength)
        guard let output = options.output else {
            let text = (0..<(train + dev + test)).map { i -> String in
                let p = generator.pair(at: i)
                return p.source + "\t" + p.target + "\n"
            }.joined()
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let splits = generator.splits(train: train, dev: dev, test: test)
        try splits.write(to: URL(fileURLWithPath: output), sourceExtension: "src", targetExtension: "tgt")
        reportSplits(splits, in: output)
    }
}

private func reportSplits(_ splits: CorpusSplits, in directory: String) {
    let sizes = splits.named.map { "\($0.name) \($0.pairs.count)" }.joined(separator: ", ")
    FileHandle.standardError.write(Data("wrote \(directory): \(sizes)\n".utf8))
}
