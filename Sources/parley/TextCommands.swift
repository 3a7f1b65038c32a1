import ArgumentParser
import Foundation
import Text

/// Where a text command reads and writes: files or standard streams.
struct TextIOOptions: ParsableArguments {
    @Option(name: [.short, .long], help: "Input file (default: standard input).")
    var input: String?

    @Option(name: [.short, .long], help: "Output file (default: standard output); written atomically.")
    var output: String?

    /// Reads the input, reporting lines with invalid UTF-8 on standard error.
    func read(lineBreaks: TextFile.LineBreaks) throws -> TextFile {
        let file: TextFile
        if let input {
            file = try TextFile(contentsOf: URL(fileURLWithPath: input), lineBreaks: lineBreaks)
        } else {
            file = TextFile(data: FileHandle.standardInput.readDataToEndOfFile(), name: "<stdin>", lineBreaks: lineBreaks)
        }
        for issue in file.issues { printError("warning: \(issue)") }
        return file
    }

    /// Writes `text` to the output.
    func write(_ text: String) throws {
        if let output {
            try TextFile.writeAtomically(text, to: URL(fileURLWithPath: output))
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}

/// Options that describe normalisation and pre-tokenisation.
struct NormalizationOptions: ParsableArguments {
    @Option(help: "Unicode normalisation form: nfkc or nfc.")
    var normalization: NormalizationForm = .nfkc

    @Flag(help: "Lowercase (locale-aware with --language).")
    var lowercase = false

    @Option(help: "Language code (en, fr, de, tr, …): case mapping, elision and clitic rules, word-break locale.")
    var language: String?
}

extension NormalizationForm: ExpressibleByArgument {}
extension SubwordMode: ExpressibleByArgument {}

/// `parley tokenize`: normalise and pre-tokenise text (or apply a saved tokeniser), and back.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Normalise and split text into words (or pieces), one sentence per line.",
        discussion: """
        Words are separated by spaces; a word that was glued to the previous one (no space \
        between, as punctuation usually is) starts with ￭, so --detokenize restores the \
        normalised text exactly. With --tokenizer DIR the words are further cut into the \
        saved tokeniser's pieces (non-final subwords end with @@).
        """
    )

    @OptionGroup var io: TextIOOptions
    @OptionGroup var normalization: NormalizationOptions

    @Flag(help: "Reverse: join words (or pieces) back into natural text.")
    var detokenize = false

    @Option(help: "A directory saved by a Tokenizer (tokenizer.json, codes.bpe, vocabulary.txt).")
    var tokenizer: String?

    func run() throws {
        let file = try io.read(lineBreaks: .newline)
        let saved = try tokenizer.map { try Tokenizer(contentsOf: URL(fileURLWithPath: $0)) }
        let normalizer = Normalizer(form: normalization.normalization, lowercase: normalization.lowercase,
                                    language: normalization.language)
        let preTokenizer = PreTokenizer(language: normalization.language)
        var output = ""
        for line in file.lines {
            if detokenize {
                let words = line.split(separator: " ").map(String.init)
                output += saved.map { $0.decode(pieces: words) } ?? PreTokenizer.detokenize(words)
            } else if let saved {
                output += saved.pieces(line).joined(separator: " ")
            } else {
                output += preTokenizer.words(normalizer(line)).joined(separator: " ")
            }
            output += "\n"
        }
        try io.write(output)
    }
}

/// `parley bpe …`: learn and apply subword-nmt-compatible BPE codes.
struct BPE: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bpe",
        abstract: "Learn and apply byte-pair encoding (subword-nmt compatible).",
        subcommands: [BPELearn.self, BPEApply.self]
    )
}

/// `parley bpe learn`: the equivalent of `subword-nmt learn-bpe -s N`.
struct BPELearn: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learn",
        abstract: "Learn BPE merges from space-separated text; writes a subword-nmt codes file.",
        discussion: "Writes the same codes file as `subword-nmt learn-bpe -s N` on the same input."
    )

    @OptionGroup var io: TextIOOptions

    @Option(name: [.short, .customShort("s"), .long, .customLong("symbols")], help: "Number of merge operations to learn (-s/--symbols as in subword-nmt).")
    var merges: Int = 10_000

    @Option(help: "Stop when no pair occurs at least this often.")
    var minFrequency: Int = 2

    func validate() throws {
        guard merges >= 0 else { throw ValidationError("--merges must be zero or more") }
        guard minFrequency >= 1 else { throw ValidationError("--min-frequency must be at least 1") }
    }

    func run() throws {
        let file = try io.read(lineBreaks: .python)
        let counts = BPECodes.countWords(inLines: file.lines)
        let codes = BPECodes.learn(wordCounts: counts, merges: merges, minimumFrequency: minFrequency)
        try io.write(codes.fileContents)
    }
}

/// `parley bpe apply`: the equivalent of `subword-nmt apply-bpe -c F`.
struct BPEApply: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Segment space-separated text with BPE codes; non-final subwords end with @@.",
        discussion: "Writes byte for byte what `subword-nmt apply-bpe -c F` writes."
    )

    @OptionGroup var io: TextIOOptions

    @Option(name: [.short, .long], help: "A BPE codes file (subword-nmt format).")
    var codes: String

    @Option(name: [.short, .long], help: "Use only the first N merges (default: all).")
    var merges: Int?

    @Option(name: [.short, .long], help: "Suffix of non-final subwords.")
    var separator: String = "@@"

    func run() throws {
        let codes = try BPECodes(contentsOf: URL(fileURLWithPath: codes), limit: merges.flatMap { $0 < 0 ? nil : $0 })
        let encoder = BytePairEncoder(codes: codes, separator: separator)
        let file = try io.read(lineBreaks: .python)
        var output = ""
        for line in file.lines { output += encoder.apply(toLine: line) }
        try io.write(output)
    }
}

/// `parley vocab …`: vocabulary files.
struct Vocab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "Build vocabulary files.",
        subcommands: [VocabBuild.self]
    )
}

/// `parley vocab build`: count the space-separated pieces of encoded text.
struct VocabBuild: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build a vocabulary (piece<TAB>count per line, <pad> <unk> <s> </s> first) from encoded text."
    )

    @OptionGroup var io: TextIOOptions

    @Option(help: "Leave out pieces occurring fewer times.")
    var minFrequency: Int = 1

    @Option(help: "Largest vocabulary size, specials included.")
    var maxSize: Int?

    func validate() throws {
        guard minFrequency >= 1 else { throw ValidationError("--min-frequency must be at least 1") }
        if let maxSize, maxSize < Vocabulary.specialPieces.count {
            throw ValidationError("--max-size must be at least \(Vocabulary.specialPieces.count) (the specials)")
        }
    }

    func run() throws {
        let file = try io.read(lineBreaks: .newline)
        let vocabulary = Vocabulary(counting: file.lines.lazy.map { $0.split(separator: " ").map(String.init) },
                                    minimumFrequency: minFrequency, maximumSize: maxSize)
        try io.write(vocabulary.fileContents)
        printError("\(vocabulary.count) pieces (\(Vocabulary.specialPieces.count) specials)")
    }
}
