import Seq

/// Large batches are decoded as one share of sentences per thread, each share a search of its own.
///
/// Splitting every operation of a decoding step over the threads leaves them waiting on each other
/// dozens of times per step (before every product, and while one thread runs the small serial
/// parts: layer norms, the search itself); two independent searches over half the batch each never
/// meet until the end. The sentences are dealt out in turn, so a batch sorted by length gives each
/// share a similar mix (and similar padding).
enum SentenceShares {
    /// The fewest sentences worth a share of their own: below this, splitting operations wins.
    static let minimumSentences = 8

    /// `search` over `sources`, run as one share per thread when the batch is large enough; the
    /// results are in the order of `sources`, or `nil` when any share's search returned `nil`
    /// (stopped). `search` runs without gradient recording.
    static func decode(_ sources: [[Int]], _ search: ([[Int]]) -> [[Hypothesis]]?) -> [[Hypothesis]]? {
        let shares = Swift.min(Parallel.threadCount, sources.count / minimumSentences)
        guard shares > 1 else { return withoutGradients { search(sources) } }
        var results = [[Hypothesis]](repeating: [], count: sources.count)
        var stopped = [Bool](repeating: false, count: shares)
        results.withUnsafeMutableBufferPointer { results in
            stopped.withUnsafeMutableBufferPointer { stopped in
                Parallel.run(parts: shares) { share in
                    let members = Array(stride(from: share, to: sources.count, by: shares))
                    // Gradient recording is a task-local flag: bind it on this thread too.
                    guard let decoded = withoutGradients({ search(members.map { sources[$0] }) }) else {
                        stopped[share] = true
                        return
                    }
                    for (position, sentence) in members.enumerated() { results[sentence] = decoded[position] }
                }
            }
        }
        return stopped.contains(true) ? nil : results
    }
}
