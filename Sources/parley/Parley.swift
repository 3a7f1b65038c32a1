import ArgumentParser

@main
struct Parley: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Sequence modelling and neural machine translation.",
        subcommands: [Bench.self, Corpus.self, Tokenize.self, BPE.self, Vocab.self, Evaluate.self, Repl.self, Attention.self]
    )
}

/// `parley bench …`: release-build measurements, one JSON object per line.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure speed (run with -c release).",
        subcommands: [BenchOps.self, BenchText.self, BenchModels.self]
    )
}
