#!/usr/bin/env bash
# Parley vs PyTorch vs CTranslate2 on this machine, run close in time, as a table of medians and
# ratios (Parley / peer; above 1 means Parley is faster, or for memory: Parley / peer, below 1 is
# smaller).
#
# Usage: scripts/bench_side_by_side.sh [rnn|bahdanau|transformer|all]
#   PEER_DIR    the peer scripts (default ../shared/bench); copied to a scratch directory when it is
#               read-only, since bench_ct2.py writes its converted models next to itself
#   PASSES      interleaved passes of both sides (default 1); the table takes medians over passes
#   DECODE_T    timed seconds per decoding case (default 2.5, as run_all.sh)
#   OUT         where the JSON lines go (default bench-side-by-side.jsonl)
#   PARLEY      a built parley binary (default: swift build -c release, SCRATCH_PATH or .build)
#   TABLE_ONLY  set to print the table from an existing OUT without running anything
#   NO_BF16     set to skip Parley's batch-1 runs on bfloat16 weights (rows marked [bfloat16 weights]:
#               reduced precision, compare with CT2 int8 as much as with CT2 float32)
#   CT2_ONE_THREAD  set to also run CTranslate2 float32/int8 on one thread (a copy of bench_ct2.py
#               with THREADS = 1; extra columns): on guests where its two-thread team collapses
#               (2026-12-02, an Intel guest: 6–7 sentences/s at greedy b1 against 48 on one thread)
# Needs: pip install -r $PEER_DIR/requirements.txt; a release build (swift build -c release).
set -euo pipefail
cd "$(dirname "$0")/.."
MODELS=${1:-all}
[[ $MODELS == all ]] && MODELS="rnn bahdanau transformer"
PEER_DIR=$(cd "${PEER_DIR:-../shared/bench}" && pwd)
PASSES=${PASSES:-1}
DECODE_T=${DECODE_T:-2.5}
OUT=${OUT:-bench-side-by-side.jsonl}
PY=${PYTHON:-python3}
SCRATCH=${SCRATCH_PATH:-.build}

scratch_dirs=()   # copies of the peer scripts made below, removed on exit
trap 'rm -rf "${scratch_dirs[@]}"' EXIT
if [[ ! -w $PEER_DIR ]]; then
  work=$(mktemp -d)
  scratch_dirs+=("$work")
  cp "$PEER_DIR"/*.py "$work"/
  [[ -d $PEER_DIR/models ]] && cp -r "$PEER_DIR/models" "$work"/
  PEER_DIR=$work
fi

if [[ -z ${PARLEY:-} && -z ${TABLE_ONLY:-} ]]; then   # PARLEY=path/to/parley skips the build
  swift build -c release --scratch-path "$SCRATCH" --product parley >&2
  PARLEY=$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/parley
fi

tag() { PASS=$1 SIDE=$2 $PY -c '
import json, os, sys
for line in sys.stdin:
    if line.strip().startswith("{"):
        r = json.loads(line); r["pass"] = int(os.environ["PASS"]); r["side"] = os.environ["SIDE"]
        print(json.dumps(r), flush=True)'; }

if [[ -z ${TABLE_ONLY:-} ]]; then   # TABLE_ONLY=1: only the table, from an existing $OUT
: >"$OUT"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
[[ " $MODELS " == *" transformer "* ]] && (cd "$PEER_DIR" && $PY bench_ct2.py --part build >/dev/null 2>&1)
if [[ -n ${CT2_ONE_THREAD:-} && " $MODELS " == *" transformer "* ]]; then   # the same script and models, one thread
  ONE_THREAD_DIR=$(mktemp -d)
  scratch_dirs+=("$ONE_THREAD_DIR")
  cp "$PEER_DIR"/*.py "$ONE_THREAD_DIR"/
  ln -s "$PEER_DIR/models" "$ONE_THREAD_DIR/models"
  sed -i 's/^THREADS = 2$/THREADS = 1/' "$ONE_THREAD_DIR/bench_ct2.py"
  grep -q '^THREADS = 1$' "$ONE_THREAD_DIR/bench_ct2.py" ||
    { echo "bench_ct2.py no longer sets THREADS = 2; cannot make its one-thread copy" >&2; exit 1; }
fi
for pass in $(seq 1 "$PASSES"); do
  for m in $MODELS; do
    echo "== pass $pass: $m ($(date +%T), load $(cut -d' ' -f1 /proc/loadavg))" >&2
    # each training measurement in its own process, so peak RSS belongs to it alone
    "$PARLEY" bench models --model "$m" --part train | tag "$pass" parley >>"$OUT"
    (cd "$PEER_DIR" && $PY bench_torch.py --model "$m" --part train 2>/dev/null) | tag "$pass" torch >>"$OUT"
    "$PARLEY" bench models --model "$m" --part decode --decode-seconds "$DECODE_T" | tag "$pass" parley >>"$OUT"
    # the weight-reading floor of a batch-1 step on this machine, now (what no decoder can pass);
    # it needs the panel kernel (AVX-512, or AVX2 and FMA), so on older CPUs the row is left out
    "$PARLEY" bench models --model "$m" --part floor | tag "$pass" parley >>"$OUT" || echo "(no floor on this CPU)" >&2
    if [[ -z ${NO_BF16:-} ]]; then   # the same at batch 1 on bfloat16 weights: a separate, labelled row
      "$PARLEY" bench models --model "$m" --part decode --batch 1 --weight-precision bfloat16 \
        --decode-seconds "$DECODE_T" | tag "$pass" parley >>"$OUT" || echo "(no bfloat16 rows on this CPU)" >&2
      "$PARLEY" bench models --model "$m" --part floor --weight-precision bfloat16 | tag "$pass" parley >>"$OUT" || true
    fi
    (cd "$PEER_DIR" && $PY bench_torch.py --model "$m" --part decode --extra --decode-time "$DECODE_T" 2>/dev/null) \
      | tag "$pass" torch >>"$OUT"
  done
  if [[ " $MODELS " == *" transformer "* ]]; then
    (cd "$PEER_DIR" && $PY bench_ct2.py --part ct2 --decode-time "$DECODE_T" 2>/dev/null) | tag "$pass" ct2 >>"$OUT"
    if [[ -n ${CT2_ONE_THREAD:-} ]]; then
      (cd "$ONE_THREAD_DIR" && $PY bench_ct2.py --part ct2 --decode-time "$DECODE_T" 2>/dev/null) | tag "$pass" ct2 >>"$OUT"
    fi
  fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
fi

$PY - "$OUT" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def key(r):
    model = "transformer" if r["side"] == "ct2" else r["model"]
    side = r["side"] + ("-" + r["compute_type"] if r["side"] == "ct2" else "")
    if r["side"] == "ct2" and r.get("threads") == 1:
        side += "-1t"
    return (model, r["measure"], r.get("beam", 0), r.get("batch", 64), side)
vals = {}
for r in rows:
    if r["measure"] == "train_step":
        tok = r.get("tgt_tokens_per_s", r.get("tgt_tokens_per_s_median"))
        rss = r.get("peak_rss_mib", r.get("maxrss_mib_after_training"))
        grow = r.get("rss_growth_mib")
        if grow is None and "maxrss_mib_before_training" in r:
            grow = r["maxrss_mib_after_training"] - r["maxrss_mib_before_training"]
        for name, v in (("train tok/s", tok), ("peak RSS MiB", rss), ("RSS growth MiB", grow)):
            k = key(r)
            vals.setdefault((k[0], name, "", "", k[4]), []).append(v)
    else:
        v = r.get("sentences_per_s", r.get("sentences_per_s_median"))
        k = key(r)
        label = ("greedy" if k[2] == 1 else f"beam{k[2]}") + f" b{k[3]} sent/s"
        if r["measure"] == "decode_step_floor":
            label = "greedy b1 ceiling (20 x weight floor)"
        if r.get("weights", "float32") != "float32":
            label += f" [{r['weights']} weights]"
        vals.setdefault((k[0], label, "", "", k[4]), []).append(v)
med = {k: statistics.median(v) for k, v in vals.items()}
measures = ["train tok/s", "peak RSS MiB", "RSS growth MiB", "greedy b1 sent/s", "greedy b1 ceiling (20 x weight floor)",
            "greedy b32 sent/s",
            "beam5 b1 sent/s", "beam5 b32 sent/s",
            "greedy b1 sent/s [bfloat16 weights]", "greedy b1 ceiling (20 x weight floor) [bfloat16 weights]",
            "beam5 b1 sent/s [bfloat16 weights]"]
peers = ["torch", "ct2-float32", "ct2-int8"]
header = "| model | measure | Parley | PyTorch | Parley/PyTorch | CT2 fp32 | Parley/CT2 fp32 | CT2 int8 | Parley/CT2 int8 |"
if any(k[4].endswith("-1t") for k in med):
    peers += ["ct2-float32-1t", "ct2-int8-1t"]
    header += " CT2 fp32 1 thread | Parley/CT2 fp32 1 thread | CT2 int8 1 thread | Parley/CT2 int8 1 thread |"
print(header)
print("|---|---|" + "---:|" * (1 + 2 * len(peers)))
for model in ("rnn", "bahdanau", "transformer"):
    for m in measures:
        p = med.get((model, m, "", "", "parley"))
        if p is None:
            continue
        cells = [f"{p:,.1f}"]
        # A bfloat16 row is set against the peers' runs of the same case, at their precision.
        peer_measure = m.split(" [")[0]
        for side in peers:
            q = med.get((model, peer_measure, "", "", side))
            cells += [f"{q:,.1f}", f"{p / q:.2f}x"] if q else ["–", "–"]
        print(f"| {model} | {m} | " + " | ".join(cells) + " |")
EOF
