import Foundation

/// A flag that a signal handler or another thread sets to ask a long job to stop: training ends
/// after the step it is in (`Trainer.stopRequest`); a search ends before its next decoder step
/// (`SequenceSearch.decode(_:model:stop:)`), which is how Ctrl-C in `parley repl` abandons a
/// translation and returns to the prompt. Once set it stays set: use a new one per job.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    public init() {}

    public var isSet: Bool { lock.withLock { flag } }
    public func set() { lock.withLock { flag = true } }
}
