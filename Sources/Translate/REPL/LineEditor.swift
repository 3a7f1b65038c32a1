import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A key of the line editor, decoded from terminal input by `KeyDecoder`.
public enum EditorKey: Equatable, Sendable {
    case character(Character)
    case enter
    case backspace
    /// Delete the character under the cursor (the Delete key).
    case delete
    case left, right, home, end
    /// Previous and next history entries.
    case up, down
    /// Ctrl-C: abandon the line.
    case interrupt
    /// Ctrl-D: end of input on an empty line, else delete under the cursor.
    case endOfInput
    /// Ctrl-U and Ctrl-K: delete before / after the cursor.
    case deleteToStart, deleteToEnd
    /// Ctrl-W: delete the word before the cursor.
    case deleteWord
    /// Ctrl-L.
    case clearScreen
    /// A key or sequence the editor does not use.
    case ignored
}

/// Decodes bytes from a terminal in raw mode into keys: UTF-8 characters, control keys, and the
/// VT100/xterm escape sequences for arrows, Home, End and Delete (`ESC [ A`, `ESC O H`, `ESC [ 3 ~`, …).
public struct KeyDecoder: Sendable {
    private enum State: Sendable { case ground, escape, csi([UInt8]), ss3 }
    private var state = State.ground
    private var utf8: [UInt8] = []

    public init() {}

    /// Whether a partial escape sequence is pending (a lone Escape key if nothing follows).
    public var isInsideEscape: Bool {
        if case .ground = state { return false }
        return true
    }

    /// Forgets a pending partial sequence (after a lone Escape).
    public mutating func reset() {
        state = .ground
        utf8 = []
    }

    /// Feeds one byte; returns a key once one is complete.
    public mutating func feed(_ byte: UInt8) -> EditorKey? {
        switch state {
        case .escape:
            switch byte {
            case UInt8(ascii: "["): state = .csi([])
            case UInt8(ascii: "O"): state = .ss3
            default: state = .ground; return .ignored  // Alt-key combinations
            }
            return nil
        case .ss3:
            state = .ground
            return Self.cursorKey(final: byte) ?? .ignored
        case .csi(var parameters):
            // Parameter and intermediate bytes 0x20…0x3F, then a final byte 0x40…0x7E.
            if (0x20...0x3F).contains(byte) {
                parameters.append(byte)
                state = parameters.count > 16 ? .ground : .csi(parameters)
                return parameters.count > 16 ? .ignored : nil
            }
            state = .ground
            if let key = Self.cursorKey(final: byte) { return key }
            guard byte == UInt8(ascii: "~") else { return .ignored }
            switch String(decoding: parameters, as: UTF8.self) {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            default: return .ignored
            }
        case .ground:
            if !utf8.isEmpty || byte >= 0x80 {
                return feedUTF8(byte)
            }
            switch byte {
            case 0x1B: state = .escape; return nil
            case 0x0D, 0x0A: return .enter
            case 0x7F, 0x08: return .backspace
            case 0x01: return .home
            case 0x05: return .end
            case 0x02: return .left
            case 0x06: return .right
            case 0x10: return .up
            case 0x0E: return .down
            case 0x03: return .interrupt
            case 0x04: return .endOfInput
            case 0x15: return .deleteToStart
            case 0x0B: return .deleteToEnd
            case 0x17: return .deleteWord
            case 0x0C: return .clearScreen
            case 0x09: return .character(" ")
            case 0x00..<0x20: return .ignored
            default: return .character(Character(Unicode.Scalar(byte)))
            }
        }
    }

    /// The cursor key that a final byte names, after `ESC [` (CSI) or `ESC O` (SS3) alike.
    private static func cursorKey(final byte: UInt8) -> EditorKey? {
        switch byte {
        case UInt8(ascii: "A"): .up
        case UInt8(ascii: "B"): .down
        case UInt8(ascii: "C"): .right
        case UInt8(ascii: "D"): .left
        case UInt8(ascii: "H"): .home
        case UInt8(ascii: "F"): .end
        default: nil
        }
    }

    private mutating func feedUTF8(_ byte: UInt8) -> EditorKey? {
        utf8.append(byte)
        let expected: Int
        switch utf8[0] {
        case 0xC0...0xDF: expected = 2
        case 0xE0...0xEF: expected = 3
        case 0xF0...0xF7: expected = 4
        default: utf8 = []; return .ignored  // a stray continuation byte
        }
        if utf8.count > 1 && (byte & 0xC0) != 0x80 { utf8 = []; return .ignored }
        guard utf8.count == expected else { return nil }
        defer { utf8 = [] }
        guard let scalar = String(validating: utf8, as: UTF8.self)?.unicodeScalars.first else { return .ignored }
        return .character(Character(scalar))
    }
}

/// The line being edited: its characters, the cursor and the history, changed key by key.
/// Pure state, so editing is tested without a terminal.
public struct LineBuffer: Sendable {
    /// What a key did to the line.
    public enum Outcome: Equatable, Sendable {
        case editing
        /// Enter: the finished line.
        case submit(String)
        /// Ctrl-C: the line was abandoned.
        case cancel
        /// Ctrl-D on an empty line.
        case endOfInput
        /// Ctrl-L: the caller clears the screen and redraws.
        case clearScreen
    }

    public private(set) var characters: [Character] = []
    /// The cursor position, `0...characters.count`.
    public private(set) var cursor = 0
    /// Earlier lines, oldest first.
    public private(set) var history: [String]
    /// `history.count` while editing a new line; otherwise the history entry shown.
    private var historyIndex: Int
    /// The new line, kept while browsing history.
    private var draft: [Character] = []

    public init(history: [String] = []) {
        self.history = history
        historyIndex = history.count
    }

    public var text: String { String(characters) }

    /// Applies `key`.
    public mutating func apply(_ key: EditorKey) -> Outcome {
        switch key {
        case .character(let c):
            characters.insert(c, at: cursor)
            cursor += 1
        case .enter:
            let line = text
            reset()
            return .submit(line)
        case .backspace:
            if cursor > 0 {
                characters.remove(at: cursor - 1)
                cursor -= 1
            }
        case .delete:
            if cursor < characters.count { characters.remove(at: cursor) }
        case .left: cursor = max(0, cursor - 1)
        case .right: cursor = min(characters.count, cursor + 1)
        case .home: cursor = 0
        case .end: cursor = characters.count
        case .up:
            guard historyIndex > 0 else { break }
            if historyIndex == history.count { draft = characters }
            historyIndex -= 1
            show(Array(history[historyIndex]))
        case .down:
            guard historyIndex < history.count else { break }
            historyIndex += 1
            show(historyIndex == history.count ? draft : Array(history[historyIndex]))
        case .interrupt:
            reset()
            return .cancel
        case .endOfInput:
            if characters.isEmpty { return .endOfInput }
            if cursor < characters.count { characters.remove(at: cursor) }
        case .deleteToStart:
            characters.removeFirst(cursor)
            cursor = 0
        case .deleteToEnd:
            characters.removeLast(characters.count - cursor)
        case .deleteWord:
            var start = cursor
            while start > 0 && characters[start - 1] == " " { start -= 1 }
            while start > 0 && characters[start - 1] != " " { start -= 1 }
            characters.removeSubrange(start..<cursor)
            cursor = start
        case .clearScreen:
            return .clearScreen
        case .ignored:
            break
        }
        return .editing
    }

    /// Adds a submitted line to the history (not blank lines, not a repeat of the last entry).
    public mutating func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty, history.last != line else { return }
        history.append(line)
        historyIndex = history.count
    }

    private mutating func show(_ line: [Character]) {
        characters = line
        cursor = line.count
    }

    private mutating func reset() {
        characters = []
        cursor = 0
        draft = []
        historyIndex = history.count
    }
}

/// Reads lines from standard input: with line editing and history on a terminal (raw mode via
/// termios: arrows, Home/End, Backspace/Delete, Up/Down through history, Ctrl-C abandons the
/// line, Ctrl-D on an empty line ends input), and with plain `readLine` when standard input or
/// output is not a terminal, so scripts can pipe commands in.
public final class LineEditor {
    /// What one read produced.
    public enum Input: Equatable {
        case line(String)
        /// Ctrl-C abandoned the line.
        case cancelled
        /// Ctrl-D or the end of piped input.
        case end
    }

    public var prompt: String
    /// Where history persists (one line each); `nil` keeps it in memory only.
    public let historyFile: URL?
    public let maximumHistory: Int
    /// Whether input comes from a terminal (and lines are edited).
    public let isInteractive: Bool
    private var buffer: LineBuffer

    /// The default history file, `~/.parley_history` (`$HOME` first, then the account's home).
    public static var defaultHistoryFile: URL {
        let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser
        return home.appendingPathComponent(".parley_history")
    }

    public init(prompt: String = "> ", historyFile: URL? = LineEditor.defaultHistoryFile, maximumHistory: Int = 1000) {
        self.prompt = prompt
        self.historyFile = historyFile
        self.maximumHistory = maximumHistory
        isInteractive = isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0
        var history: [String] = []
        if isInteractive, let historyFile, let data = FileManager.default.contents(atPath: historyFile.path) {
            history = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init).suffix(maximumHistory).map { $0 }
        }
        buffer = LineBuffer(history: history)
    }

    /// Reads one line.
    public func read() -> Input {
        guard isInteractive else {
            guard let line = Swift.readLine(strippingNewline: true) else { return .end }
            return .line(line)
        }
        guard let terminal = RawMode() else {
            // Not actually a terminal that accepts raw mode: fall back to plain reading.
            writeOut(prompt)
            guard let line = Swift.readLine(strippingNewline: true) else { return .end }
            return .line(line)
        }
        defer { terminal.restore() }
        var decoder = KeyDecoder()
        redraw()
        while true {
            guard let byte = readByte(timeoutMilliseconds: decoder.isInsideEscape ? 60 : -1) else {
                if decoder.isInsideEscape { decoder.reset(); continue }  // a lone Escape key
                writeOut("\n")
                return .end
            }
            guard let key = decoder.feed(byte) else { continue }
            switch buffer.apply(key) {
            case .editing:
                redraw()
            case .submit(let line):
                writeOut("\n")
                let known = buffer.history.count
                buffer.remember(line)
                if buffer.history.count > known { appendToHistoryFile(line) }
                return .line(line)
            case .cancel:
                writeOut("^C\n")
                return .cancelled
            case .endOfInput:
                writeOut("\n")
                return .end
            case .clearScreen:
                writeOut("\u{1B}[H\u{1B}[2J")
                redraw()
            }
        }
    }

    // MARK: - Terminal output

    /// Redraws the prompt and line, scrolling horizontally so the cursor stays visible.
    private func redraw() {
        let columns = max(10, Self.terminalColumns())
        let promptWidth = Heatmap.displayWidth(prompt)
        let characters = buffer.characters
        let widths = characters.map { Heatmap.displayWidth(String($0)) }
        var start = 0
        let cursor = buffer.cursor
        while start < cursor && promptWidth + widths[start..<cursor].reduce(0, +) >= columns { start += 1 }
        var end = start, used = promptWidth
        while end < characters.count && used + widths[end] < columns { used += widths[end]; end += 1 }
        let visible = String(characters[start..<end])
        let afterCursor = widths[max(start, min(cursor, end))..<end].reduce(0, +)
        var out = "\r" + prompt + visible + "\u{1B}[K"
        if afterCursor > 0 { out += "\u{1B}[\(afterCursor)D" }
        writeOut(out)
    }

    /// The width of the terminal on standard output, 80 when it cannot be told.
    public static func terminalColumns() -> Int {
        var size = winsize()
        #if canImport(Glibc)
        let request = UInt(TIOCGWINSZ)
        #else
        let request = TIOCGWINSZ
        #endif
        if ioctl(STDOUT_FILENO, request, &size) == 0 && size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    private func writeOut(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// One byte from standard input; `nil` at end of input or when `timeoutMilliseconds` (≥ 0) passes.
    private func readByte(timeoutMilliseconds: Int32) -> UInt8? {
        if timeoutMilliseconds >= 0 {
            var descriptor = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, timeoutMilliseconds) > 0 else { return nil }
        }
        var byte: UInt8 = 0
        while true {
            let n = systemRead(STDIN_FILENO, &byte, 1)
            if n == 1 { return byte }
            if n < 0 && errno == EINTR { continue }
            return nil
        }
    }

    private func appendToHistoryFile(_ line: String) {
        guard let historyFile, !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        let path = historyFile.path
        if !FileManager.default.fileExists(atPath: path) {
            FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        handle.seekToEndOfFile()
        handle.write(Data((line + "\n").utf8))
    }
}

/// Standard input switched to raw mode (no echo, no line buffering, no signals from Ctrl-C),
/// output processing kept so `\n` still starts a new line; `restore()` puts the settings back.
private final class RawMode {
    private var original = termios()

    init?() {
        guard tcgetattr(STDIN_FILENO, &original) == 0 else { return nil }
        var raw = original
        raw.c_iflag &= ~tcflag_t(BRKINT | ICRNL | INPCK | ISTRIP | IXON)
        raw.c_cflag |= tcflag_t(CS8)
        raw.c_lflag &= ~tcflag_t(ECHO | ICANON | IEXTEN | ISIG)
        withUnsafeMutableBytes(of: &raw.c_cc) { bytes in
            bytes[Int(VMIN)] = 1
            bytes[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) == 0 else { return nil }
    }

    func restore() {
        _ = tcsetattr(STDIN_FILENO, TCSADRAIN, &original)
    }
}

/// `read(2)`, named apart from the methods called `read`.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.read(fd, buffer, count)
    #else
    return Darwin.read(fd, buffer, count)
    #endif
}
