#!/usr/bin/env bash
# One Multi30k experiment end to end: prepare → train → translate the validation set (greedy and
# beam 5, from the best checkpoint) → score with `parley evaluate` (sacreBLEU-equal, cased,
# detokenised) → one summary line per decoding.
#
# Usage (from anywhere; paths in the configs are relative to the repository root):
#   scripts/multi30k.sh configs/multi30k-de-en-transformer.yaml [--set key=value ...]
#   SKIP_TRAIN=1 scripts/multi30k.sh CONFIG     score an already trained model again
#   RESUME=1 scripts/multi30k.sh CONFIG         continue an interrupted training (parley train --resume)
#   PARLEY=path/to/parley                       use this binary instead of building one
# Needs ../shared/corpora/multi30k beside the repository and python3 for the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
[[ $# -ge 1 ]] || { echo "usage: $0 CONFIG [--set key=value ...]" >&2; exit 2; }
config=$1; shift
[[ -f $config ]] || { echo "$0: no such configuration: $config" >&2; exit 2; }
[[ -d ../shared/corpora/multi30k ]] || { echo "$0: ../shared/corpora/multi30k is missing (it must sit beside the repository)" >&2; exit 2; }

if [[ -z ${PARLEY:-} ]]; then
  swift build -c release --product parley >&2
  PARLEY=$(swift build -c release --show-bin-path)/parley
fi

# The model directory and the validation files, as the configuration names them.
setting() { sed -n "s/^ *$1: *\([^ #]*\).*/\1/p" "$config" | head -n 1; }
model=$(setting modelDirectory)
dev_source=$(setting devSource)
dev_target=$(setting devTarget)
for arg in "$@"; do   # a --set modelDirectory=… override moves the model
  [[ $arg == modelDirectory=* ]] && model=${arg#modelDirectory=}
done

if [[ -z ${SKIP_TRAIN:-} ]]; then
  if [[ -n ${RESUME:-} ]]; then
    "$PARLEY" train "$config" --resume --no-progress "$@" | tee -a "$model/train.txt"
  else
    # The training report goes beside the model directory first: `train` creates the directory.
    mkdir -p "$(dirname "$model")"
    "$PARLEY" train "$config" --no-progress "$@" | tee "$model.train.txt"
    mv "$model.train.txt" "$model/train.txt"
  fi
fi

for beam in 1 5; do
  hypotheses="$model/val.beam$beam.hyp"
  start=$(date +%s.%N)
  "$PARLEY" translate --model "$model" --beam "$beam" --input "$dev_source" --output "$hypotheses"
  seconds=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$start" "$(date +%s.%N)")
  "$PARLEY" evaluate --hypotheses "$hypotheses" --references "$dev_target" --format json \
    > "$model/val.beam$beam.score.json"
  echo "beam $beam: translated ${dev_source##*/} in $seconds s" >&2
done

python3 - "$model" <<'EOF'
import json, sys
from pathlib import Path
model = Path(sys.argv[1])
events = [json.loads(line) for line in (model / "log.jsonl").open()]
train = [e for e in events if e["event"] == "train"]
end = [e for e in events if e["event"] == "end"][-1]
prepared = json.loads((model / "prepare.json").read_text())
speed = sorted(e["targetTokensPerSecond"] for e in train)
median = speed[len(speed) // 2] if speed else float("nan")
print(f"model: {model}")
report = model / "train.txt"
counts = [line for line in report.open() if " parameters, " in line] if report.exists() else []
if counts:
    print(counts[0].strip())
print(f"training: {end['steps']} steps, {end['epochs']} epochs, {end['seconds'] / 60:.1f} min, "
      f"median {median:,.0f} target tokens/s, stopped by {end['reason']}")
best = end.get("best") or {}
print(f"best checkpoint: step {best.get('step')}, dev greedy BLEU during training {best.get('bleu')}")
for beam in (1, 5):
    score = json.loads((model / f"val.beam{beam}.score.json").read_text())
    print(f"val {'greedy' if beam == 1 else 'beam ' + str(beam)}: BLEU {score['bleu']:.2f}, chrF {score['chrf']:.2f}")
EOF
