import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `action` on Ctrl-C (SIGINT) instead of terminating, until `restore()`.
///
/// One signal source serves the whole process and handlers only swap its action: libdispatch on
/// Linux installs its own SIGINT handler for the first source of a signal only, so putting the
/// default disposition back and making a new source later (the demo trains, then opens the REPL,
/// which takes Ctrl-C for every sentence) would leave Ctrl-C ignored. With no action set, Ctrl-C
/// ends the process as the default disposition does.
final class InterruptHandler {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var action: (() -> Void)?
    nonisolated(unsafe) private static var owner: ObjectIdentifier?
    nonisolated(unsafe) private static var source: DispatchSourceSignal?

    init(_ action: @escaping () -> Void) {
        Self.lock.withLock {
            Self.action = action
            Self.owner = ObjectIdentifier(self)
            guard Self.source == nil else { return }
            signal(SIGINT, SIG_IGN)   // until the source's own handler is installed
            let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
            source.setEventHandler { InterruptHandler.interrupted() }
            source.resume()
            Self.source = source
        }
    }

    /// Ctrl-C ends the process again (unless a newer handler took over).
    func restore() {
        Self.lock.withLock {
            guard Self.owner == ObjectIdentifier(self) else { return }
            Self.action = nil
            Self.owner = nil
        }
    }

    private static func interrupted() {
        guard let action = lock.withLock({ Self.action }) else {
            signal(SIGINT, SIG_DFL)
            kill(getpid(), SIGINT)
            return
        }
        action()
    }
}
