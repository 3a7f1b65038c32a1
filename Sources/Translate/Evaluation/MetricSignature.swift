/// sacreBLEU-style reproducibility signatures (`key:value` pairs joined by `|`).
///
/// The keys and their order are sacreBLEU 2.x's; the version names Parley, since it is Parley's
/// implementation that produced the score (equal to sacreBLEU's, as the fixture tests show).
public enum MetricSignature {
    /// The version written into signatures.
    public static let version = "parley-0.1.0"

    /// `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:…`
    static func bleu(lowercase: Bool) -> String {
        format([
            ("nrefs", "1"), ("case", lowercase ? "lc" : "mixed"), ("eff", "no"), ("tok", "13a"),
            ("smooth", "exp"), ("version", version),
        ])
    }

    /// `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:…`
    static func chrF(lowercase: Bool) -> String {
        format([
            ("nrefs", "1"), ("case", lowercase ? "lc" : "mixed"), ("eff", "yes"),
            ("nc", String(ChrF.characterOrder)), ("nw", String(ChrF.wordOrder)), ("space", "no"),
            ("version", version),
        ])
    }

    private static func format(_ pairs: [(String, String)]) -> String {
        pairs.map { "\($0.0):\($0.1)" }.joined(separator: "|")
    }
}
