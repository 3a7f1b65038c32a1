#!/usr/bin/env python3
"""Regenerate the subword-nmt fixtures in Tests/TextTests/Fixtures/bpe.

Runs the real subword-nmt (pip install subword-nmt) on corpus.txt, a small hand-written corpus:

  codes.bpe             subword-nmt learn-bpe -s 300 < corpus.txt
  codes-40.bpe          subword-nmt learn-bpe -s 40 < corpus.txt   (early merges, many ties)
  words.txt             every word of the corpus plus unseen, long and odd words, one per line
  words.segmented.txt   subword-nmt apply-bpe -c codes.bpe < words.txt
  corpus.segmented.txt  subword-nmt apply-bpe -c codes.bpe < corpus.txt   (whole lines, byte for byte)

The Swift tests compare Parley's learner with the codes files and Parley's applier with the
segmentations; they need no Python. Usage: python3 scripts/make_bpe_fixtures.py
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "Tests", "TextTests", "Fixtures", "bpe")

EXTRA_WORDS = [
    "lowering", "towering", "newest", "slowest", "widower", "Turmbau", "Donaudampfschiff",
    "Donaudampfschifffahrtsgesellschaftskapitänsmützenabzeichenherstellungsbetrieb",
    "lowerlowerlowerlowerlowerlowerlowerlowerlowerlowertowertowertowertowertower",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "x", "é", "cafe\u0301s", "naïvement", "👍🏽👍🏽", "<w>", "a</w>", "é</w>",
    "walkers'", "l'homme", "user@example.com", "3.1415", "qu'", "tab\tinside",
]


def run(args, stdin_path, stdout_path):
    with open(stdin_path, "rb") as source, open(stdout_path, "wb") as target:
        subprocess.run(["subword-nmt"] + args, stdin=source, stdout=target, check=True)


def main():
    corpus = os.path.join(FIXTURES, "corpus.txt")
    run(["learn-bpe", "-s", "300"], corpus, os.path.join(FIXTURES, "codes.bpe"))
    run(["learn-bpe", "-s", "40"], corpus, os.path.join(FIXTURES, "codes-40.bpe"))
    words = []
    with open(corpus, encoding="utf-8") as text:
        for line in text:
            for word in line.strip("\r\n ").split(" "):
                if word and word not in words:
                    words.append(word)
    words += [w for w in EXTRA_WORDS if w not in words]
    with open(os.path.join(FIXTURES, "words.txt"), "w", encoding="utf-8", newline="\n") as out:
        out.write("".join(w + "\n" for w in words))
    codes = os.path.join(FIXTURES, "codes.bpe")
    run(["apply-bpe", "-c", codes], os.path.join(FIXTURES, "words.txt"), os.path.join(FIXTURES, "words.segmented.txt"))
    run(["apply-bpe", "-c", codes], corpus, os.path.join(FIXTURES, "corpus.segmented.txt"))
    print("wrote fixtures to", os.path.normpath(FIXTURES), file=sys.stderr)


if __name__ == "__main__":
    main()
