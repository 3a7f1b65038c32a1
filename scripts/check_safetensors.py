#!/usr/bin/env python3
"""Interoperability check between Parley's safetensors writer/reader and the reference one.

    pip install safetensors numpy

    # Write the fixture that CheckpointTests reads (and re-encodes byte for byte):
    python3 scripts/check_safetensors.py write Tests/SeqTests/Fixtures/python-written.safetensors

    # Check a file written by Parley: the interop test writes one when asked to.
    PARLEY_SAFETENSORS_OUT=/tmp/parley.safetensors \\
        swift test -c release --filter CheckpointTests
    python3 scripts/check_safetensors.py check /tmp/parley.safetensors

Both commands use the same expected tensors (`expected_tensors`), so a pass in both directions
means the two implementations agree on names, shapes, values (bit for bit) and metadata.
"""

import json
import struct
import sys

import numpy as np
from safetensors import safe_open
from safetensors.numpy import load_file, save_file


def expected_tensors():
    """The tensors both sides write: ordinary, special and subnormal values, a scalar, an empty tensor."""
    return {
        "encoder.embedding.weight": (np.arange(12, dtype=np.float32).reshape(3, 4) * 0.25 - 1.0),
        "encoder.layers.0.bias": np.array(
            [-0.0, np.inf, -np.inf, 1e-40, np.finfo(np.float32).max, -3.5], dtype=np.float32),
        "scale": np.array(0.125, dtype=np.float32),
        "empty": np.zeros((0, 4), dtype=np.float32),
    }


# One metadata key only: the reference writer emits metadata in hash order, so with several keys
# its bytes vary from run to run (Parley sorts them).
FIXTURE_METADATA = {"step": "12"}


def write(path):
    save_file(expected_tensors(), path, metadata=FIXTURE_METADATA)
    print(f"wrote {path}")


def check(path):
    with open(path, "rb") as f:
        raw = f.read()
    (header_length,) = struct.unpack("<Q", raw[:8])
    assert header_length % 8 == 0, f"header length {header_length} is not a multiple of 8"
    header = json.loads(raw[8:8 + header_length])
    print("header:", json.dumps(header, ensure_ascii=False)[:400])

    loaded = load_file(path)
    expected = expected_tensors()
    for name, array in expected.items():
        assert name in loaded, f"missing {name}"
        got = loaded[name]
        assert got.dtype == np.float32 and got.shape == array.shape, f"{name}: {got.dtype} {got.shape}"
        assert got.view(np.uint32).tolist() == array.view(np.uint32).tolist(), f"{name}: values differ"
    with safe_open(path, framework="numpy") as f:
        metadata = f.metadata()
    print("metadata:", metadata)
    assert metadata.get("step") == "12", "metadata 'step' should be '12'"
    assert metadata.get("note") == 'quotes " and \\ and é and\nnewline', "metadata 'note' differs"
    print(f"OK: {len(loaded)} tensors ({', '.join(sorted(loaded))}) read bit-exact by safetensors "
          f"{__import__('safetensors').__version__} / NumPy {np.__version__}")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        sys.exit(__doc__)
    (write if sys.argv[1] == "write" else check)(sys.argv[2])
