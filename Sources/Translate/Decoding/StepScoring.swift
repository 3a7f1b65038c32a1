import Seq

/// Turns one step's logits `[rows, vocabulary]` into what a search selects on, in place and once
/// per step: the log-normaliser `log Σ exp` of every row (so that `logit − normaliser` is the
/// log-probability, with no log-softmax tensor materialised), then `−∞` written over the ids the
/// search must never generate. The normaliser is taken over the whole vocabulary first, so
/// log-probabilities of the remaining ids are the model's, not renormalised.
struct StepScoring {
    /// Ids never generated (`<pad>`, `<s>`, and `<unk>` or `</s>` when asked), within the vocabulary.
    let forbidden: [Int]
    let vocabularySize: Int

    init(specialTokens: SpecialTokens, forbidsUnknown: Bool, forbidsEnd: Bool, vocabularySize: Int) {
        var ids = [specialTokens.padding, specialTokens.beginOfSentence]
        if forbidsUnknown { ids.append(specialTokens.unknown) }
        if forbidsEnd { ids.append(specialTokens.endOfSentence) }
        forbidden = Array(Set(ids.filter { (0..<vocabularySize).contains($0) })).sorted()
        self.vocabularySize = vocabularySize
    }

    /// Fills `normalizers[r]` for every row of `logits` and masks the forbidden ids.
    func prepare(_ logits: inout Tensor, normalizers: inout [Float]) {
        let width = vocabularySize, rows = logits.count / Swift.max(width, 1)
        precondition(logits.count == rows * width, "logits \(logits.shape) are not [rows, \(width)]")
        normalizers = logits.rowLogSumExp()
        logits.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for r in 0..<rows {
                for id in forbidden { base[r * width + id] = -.infinity }
            }
        }
    }
}

/// The best `capacity` (score, index) pairs offered, highest score first; equal scores keep the
/// order they were offered in (lower index first when offered in index order). Partial
/// selection: each offer is one comparison against the current worst unless it enters.
struct TopCandidates {
    private(set) var scores: [Float] = []
    private(set) var indices: [Int] = []
    private(set) var capacity = 0
    /// The score an offer must beat to enter (−∞ until full, so −∞ never enters).
    private(set) var threshold: Float = -.infinity

    var count: Int { scores.count }

    /// Empties the list for a new selection of at most `capacity` entries (storage is kept).
    mutating func reset(capacity: Int) {
        scores.removeAll(keepingCapacity: true)
        indices.removeAll(keepingCapacity: true)
        if scores.capacity < capacity + 1 {
            scores.reserveCapacity(capacity + 1)
            indices.reserveCapacity(capacity + 1)
        }
        self.capacity = capacity
        threshold = -.infinity
    }

    @inline(__always)
    mutating func offer(_ score: Float, index: Int) {
        guard score > threshold else { return }
        insert(score, index: index)
    }

    private mutating func insert(_ score: Float, index: Int) {
        // After every entry with a score ≥ this one (stable for ties).
        var position = scores.count
        while position > 0 && scores[position - 1] < score { position -= 1 }
        scores.insert(score, at: position)
        indices.insert(index, at: position)
        if scores.count > capacity {
            scores.removeLast()
            indices.removeLast()
        }
        if scores.count == capacity { threshold = scores[capacity - 1] }
    }
}
