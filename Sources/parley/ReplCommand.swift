import ArgumentParser
import Foundation
import Translate
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `parley repl`: translate sentences interactively (see `REPLSession` for the commands).
struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "Translate sentences interactively, with :commands to change the search and show attention.",
        discussion: """
            On a terminal lines are edited (arrows, Home/End, history in ~/.parley_history); Ctrl-C \
            clears the line (or stops a translation under way) and Ctrl-D exits. When standard input is not a terminal, lines are read \
            one by one without a prompt, so the REPL can be scripted. Type :help for the commands.
            """)

    @OptionGroup var decoding: DecodingOptions

    @Flag(help: "Do not read or write the history file.")
    var noHistory = false

    func run() throws {
        let translator = try decoding.makeTranslator()
        let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0
        let heatmap = Heatmap(palette: .detect(isTerminal: stdoutIsTerminal), width: max(40, terminalWidth()))
        let session = REPLSession(translator: translator, options: decoding.options(translator), heatmap: heatmap)
        let editor = LineEditor(prompt: "parley> ", historyFile: noHistory ? nil : LineEditor.defaultHistoryFile)
        if editor.isInteractive {
            let model = translator.configuration.model.kind.rawValue
            emit(["Parley REPL · \(decoding.model) (\(model)) · :help for commands, Ctrl-D to leave", session.settings])
        }
        loop: while !session.hasQuit {
            switch editor.read() {
            case .line(let line):
                // On a terminal, Ctrl-C while a sentence is translated abandons it, not the REPL
                // (at the prompt the editor's raw mode reads Ctrl-C as a key that clears the
                // line). A scripted REPL keeps the signal's default: Ctrl-C ends it.
                let stop = StopRequest()
                let interrupt = editor.isInteractive ? InterruptHandler { stop.set() } : nil
                let output = session.handle(line, stop: stop)
                interrupt?.restore()
                emit(output)
            case .cancelled: continue
            case .end: break loop
            }
        }
    }

    private func emit(_ lines: [String]) {
        guard !lines.isEmpty else { return }
        FileHandle.standardOutput.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    private func terminalWidth() -> Int {
        if let columns = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), columns > 0 { return columns }
        return LineEditor.terminalColumns()
    }
}
