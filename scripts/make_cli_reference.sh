#!/usr/bin/env bash
# Regenerates docs/cli.md from the built command's own help texts.
# Usage (from the repository root): swift build -c release && bash scripts/make_cli_reference.sh
set -euo pipefail
P=${PARLEY:-.build/release/parley}
{
  echo "# CLI reference"
  echo
  echo "Every \`parley\` subcommand with its options, as printed by \`parley help SUBCOMMAND\` (regenerate this file with \`scripts/make_cli_reference.sh\`)."
  echo
  for c in "" demo prepare train translate repl attention evaluate tokenize "bpe learn" "bpe apply" "vocab build" \
           "corpus phrasebook" "corpus algorithmic" "bench ops" "bench text" "bench models"; do
    echo "## parley $c"
    echo
    echo '```'
    # shellcheck disable=SC2086
    $P help $c 2>&1 | sed 's/[[:space:]]*$//'
    echo '```'
    echo
  done
} > docs/cli.md
