import ArgumentParser

@main
struct Parley: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Sequence modelling and neural machine translation.",
        subcommands: [Demo.self, Prepare.self, Train.self, TranslateCommand.self, Repl.self, Attention.self, Evaluate.self, Tokenize.self, BPE.self, Vocab.self, Corpus.self, Bench.self]
    )
}

/// `parley bench …`: release-build measurements, one JSON object per line.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed (run with -c release).",
        subcommands: [BenchOps.self, BenchText.self, BenchModels.self]
    )
}
