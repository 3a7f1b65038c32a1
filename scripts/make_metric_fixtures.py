#!/usr/bin/env python3
"""Regenerate Tests/TranslateTests/Fixtures/metrics.json with the real sacreBLEU.

Runs sacrebleu (pip install sacrebleu) on hand-written hypothesis/reference sets: perfect and
empty matches, empty lines, unicode (accents in both normal forms, CJK, emoji, Greek final
sigma, Turkish dotted I), punctuation and entity-heavy lines, numbers, odd whitespace, one-line
corpora, the lowercase option, very short and long corpora. For each case it records the inputs,
the 13a tokenisation of each hypothesis, BLEU (default: 13a, exp smoothing, cased or
--lowercase) with its statistics, and chrF2.

The Swift tests (Tests/TranslateTests/MetricsTests.swift) compare Parley's metrics with these
numbers and need no Python. Usage: python3 scripts/make_metric_fixtures.py
"""
import json
import os
import random

import sacrebleu
from sacrebleu.metrics import BLEU, CHRF
from sacrebleu.tokenizers.tokenizer_13a import Tokenizer13a

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "..", "Tests", "TranslateTests", "Fixtures", "metrics.json")

CASES = []


def case(name, hypotheses, references, lowercase=False):
    assert len(hypotheses) == len(references), name
    CASES.append((name, hypotheses, references, lowercase))


# --- Exact and degenerate matches -------------------------------------------------------------
case("perfect_match",
     ["The cat sat on the mat.", "It is raining today, isn't it?", "Hello world!"],
     ["The cat sat on the mat.", "It is raining today, isn't it?", "Hello world!"])
case("no_match",
     ["alpha beta gamma delta", "epsilon zeta eta theta"],
     ["one two three four five", "six seven eight nine"])
case("all_empty_hypotheses", ["", "", ""], ["The cat sat on the mat.", "A dog.", "Nothing here"])
case("some_empty_hypotheses",
     ["the cat sat on the mat", "", "a quick brown fox jumps over the lazy dog", ""],
     ["the cat sat on a mat", "there is a reference", "the quick brown fox jumps over the lazy dog", "x"])
case("empty_reference_line",
     ["something was said here", "the house is red"],
     ["", "the house is red"])
case("whitespace_only_lines", ["   ", "\t", "the end"], [" ", "a b c", "the end ."])

# --- One-line and short corpora -----------------------------------------------------------------
case("one_sentence", ["The quick brown fox jumps over the lazy dog."],
     ["A quick brown fox jumped over the lazy dog."])
case("one_sentence_one_word", ["yes"], ["yes"])
case("one_word_mismatch", ["yes"], ["no"])
case("short_sentences_no_fourgrams",
     ["a b", "c", "d e f"],
     ["a b", "c d", "d e f"])
case("unigram_matches_only",
     ["dog the bites man", "red the is house"],
     ["the dog bites the man", "the house is red"])
case("bigrams_but_no_trigrams",
     ["the dog and the cat and the bird", "we go to to the the park"],
     ["the dog chased the cat while the bird sang", "we went to the park"])
case("hypothesis_longer_than_reference",
     ["this is a very very long hypothesis with many many extra words in it indeed"],
     ["this is a hypothesis"])
case("hypothesis_much_shorter",
     ["the", "a cat"],
     ["the quick brown fox jumps over the lazy dog today", "a cat sat on the mat and purred loudly"])

# --- Unicode ------------------------------------------------------------------------------------
case("accents_french_german",
     ["L'été dernier, nous sommes allés à la plage près de Nîmes.",
      "Die Straße ist über die Brücke gesperrt, sagte Jürgen.",
      "Ça coûte très cher ; où est le café ?"],
     ["L'été passé, nous sommes allés à la plage près de Nîmes.",
      "Die Straße über die Brücke ist gesperrt, sagte Jürgen.",
      "Ça coûte trop cher ; où se trouve le café ?"])
case("precomposed_vs_decomposed",
     ["le cafe\u0301 est fermé", "na\u00efve re\u0301sume\u0301"],
     ["le caf\u00e9 est ferme\u0301", "nai\u0308ve r\u00e9sum\u00e9"])
case("cjk",
     ["我喜欢吃苹果。", "今日は いい 天気 ですね。", "这是 一个 测试 句子 ， 对吧 ？", "한국어 문장 입니다."],
     ["我喜欢吃香蕉。", "今日は いい 天気 です。", "这是 一个 测试 句子 ， 对 吗 ？", "한국어 문장입니다."])
case("emoji",
     ["I love it 😍😍 so much!", "👍🏽 good job 👩‍💻", "flags 🇫🇷🇩🇪 and ❤️", "🙂"],
     ["I love it 😍 so much!", "👍 good job 👩‍💻", "flags 🇫🇷 🇩🇪 and ❤", "🙃"])
case("greek_final_sigma_lowercase",
     ["ΟΔΟΣ ΣΤΗΝ ΑΘΗΝΑ", "Ο ΚΟΣΜΟΣ ΕΙΝΑΙ ΩΡΑΙΟΣ.", "ΣΑΣ ΕΥΧΑΡΙΣΤΩ, Σ."],
     ["οδος στην αθηνα", "ο κοσμος ειναι ωραιος.", "σας ευχαριστω, σ."], lowercase=True)
case("greek_cased", ["ΟΔΟΣ ΣΤΗΝ ΑΘΗΝΑ"], ["Οδός στην Αθήνα"])
case("turkish_dotted_i_lowercase",
     ["İSTANBUL BÜYÜK BİR ŞEHİR", "IĞDIR İLİ"],
     ["istanbul büyük bir şehir", "ığdır ili"], lowercase=True)
case("mixed_scripts",
     ["Москва — столица России.", "مرحبا بالعالم", "שלום עולם!", "नमस्ते दुनिया।"],
     ["Москва является столицей России.", "مرحبا بالعالم", "שלום לעולם!", "नमस्ते दुनिया।"])

# --- Punctuation, markup, numbers, whitespace ------------------------------------------------
case("punctuation_heavy",
     ['"Hello," she said -- "isn\'t it (really) great?!"', "Wait... what?! [sic] {braces} <tags>",
      "a/b\\c|d~e^f_g`h", "e-mail: john.doe@example.com; see http://x.org/a?b=c&d=e#f",
      "It's 'quoted' and \"double-quoted\"...", ",leading comma. .leading period"],
     ['"Hello," she said - "isn\'t it really great?"', "Wait ... what ? [sic] {braces} <tags>",
      "a / b \\ c | d ~ e ^ f _ g ` h", "email: john.doe@example.com ; see http://x.org/a?b=c&d=e#f",
      "It's 'quoted' and \"double-quoted\" ...", ", leading comma . . leading period"])
case("entities_and_skipped",
     ["Tom &amp; Jerry &lt;3 &quot;cartoons&quot; &gt; all", "<skipped> line with <skipped>token",
      "&amp;lt; double escaped &amp;amp;", "hyphen-\nated and two\nlines"],
     ["Tom & Jerry <3 \"cartoons\" > all", "line with token",
      "&lt; double escaped &amp;", "hyphenated and two lines"])
case("numbers",
     ["It costs $1,000.50 or 3.14 euros in 1990-2000.", "Call 555-1234 at 10:30 a.m., ok.",
      "Version 2.0.1, released 12/05/2021; 50% off, 1.5x faster.", "The 5-year plan, 1,2,3 and .5 or 5.",
      "Numbers: 7, 8. 9-10 11.12"],
     ["It costs $1,000.50 or 3.14 EUR in 1990 - 2000.", "Call 555-1234 at 10:30 a.m. , ok.",
      "Version 2.0.1 , released 12/05/2021 ; 50 % off , 1.5x faster .", "The five-year plan, 1, 2, 3 and 0.5 or 5.",
      "Numbers: 7, 8. 9-10 11.12"])
case("odd_whitespace",
     ["two  spaces\tand tab", "non\u00a0breaking\u2009thin space", "ideographic\u3000space",
      "trailing spaces   ", "\u001cfile separator\u001d", "zero\u200bwidth"],
     ["two spaces and tab", "non breaking thin space", "ideographic space",
      "trailing spaces", "file separator", "zero width"])
case("crlf_like", ["line with carriage return\r", "another\r\n"], ["line with carriage return", "another"])

# --- Case ------------------------------------------------------------------------------------------
MIXED_HYP = ["The European Union SAID on Monday that it Would act.", "PARIS is the Capital of France.",
             "iPhone and macOS Are trademarks.", "Ünïcödé CASE Ärger"]
MIXED_REF = ["The European Union said on Monday that it would act.", "Paris is the capital of France.",
             "IPhone and MacOS are trademarks.", "ünïcödé case ärger"]
case("mixed_case_cased", MIXED_HYP, MIXED_REF)
case("mixed_case_lowercase", MIXED_HYP, MIXED_REF, lowercase=True)

# --- Realistic translations ------------------------------------------------------------------
case("translations_en",
     ["The government announced new measures to fight inflation on Tuesday.",
      "According to the report, unemployment fell to 5.2 percent in March.",
      "He said he was not aware of the decision.",
      "The match ended in a 2-2 draw after extra time.",
      "Scientists have discovered a new species of frog in the Amazon."],
     ["On Tuesday, the government announced new measures to combat inflation.",
      "Unemployment fell to 5.2% in March, according to the report.",
      "He said that he had not been aware of the decision.",
      "The game finished 2-2 after extra time.",
      "Researchers discovered a new frog species in the Amazon rainforest."])


# --- Long, generated ----------------------------------------------------------------------------
def generated(seed, count, noise):
    rng = random.Random(seed)
    words = ("the a of to and in is was for on that with as by at from it his her they "
             "house city river mountain car book friend water light night day year time people "
             "said went made saw found gave told asked felt became left brought began kept "
             "Paris Berlin Tokyo O'Brien café naïve Zürich 2021 3.5 1,000 10-15 , . ! ? ; : ( ) \" '").split()
    hyps, refs = [], []
    for _ in range(count):
        ref = [rng.choice(words) for _ in range(rng.randint(1, 40))]
        hyp = []
        for word in ref:
            r = rng.random()
            if r < noise / 3:
                continue  # deletion
            if r < 2 * noise / 3:
                hyp.append(rng.choice(words))  # substitution
            else:
                hyp.append(word)
            if rng.random() < noise / 4:
                hyp.append(rng.choice(words))  # insertion
        join = lambda ws: " ".join(ws) if rng.random() < 0.7 else "".join(
            w if i == 0 or w in ",.!?;:" else " " + w for i, w in enumerate(ws))
        hyps.append(join(hyp))
        refs.append(join(ref))
    return hyps, refs


case("long_generated_low_noise", *generated(1, 300, 0.15))
case("long_generated_high_noise", *generated(2, 300, 0.6))
case("long_generated_lowercase", *generated(3, 200, 0.3), lowercase=True)
case("long_sentence",
     [" ".join(generated(4, 30, 0.2)[0])], [" ".join(generated(4, 30, 0.2)[1])])


def main():
    cases = []
    tokenize = Tokenizer13a()
    for name, hyps, refs, lowercase in CASES:
        bleu = BLEU(lowercase=lowercase)
        chrf = CHRF(lowercase=lowercase)
        b = bleu.corpus_score(hyps, [refs])
        c = chrf.corpus_score(hyps, [refs])
        cases.append({
            "name": name,
            "lowercase": lowercase,
            "hypotheses": hyps,
            "references": refs,
            "hypotheses_13a": [tokenize(h) for h in hyps],
            "bleu": {
                "score": b.score,
                "counts": list(b.counts),
                "totals": list(b.totals),
                "precisions": list(b.precisions),
                "bp": b.bp,
                "sys_len": b.sys_len,
                "ref_len": b.ref_len,
                "formatted": b.format(),
                "signature": str(bleu.get_signature()),
            },
            "chrf": {
                "score": c.score,
                "formatted": c.format(),
                "signature": str(chrf.get_signature()),
            },
        })
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8") as f:
        json.dump({"sacrebleu_version": sacrebleu.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUTPUT)}")


if __name__ == "__main__":
    main()
