#!/usr/bin/env python3
"""Reference values for the Seq tensor operations, computed independently with NumPy.

Writes Tests/SeqTests/Fixtures/ops.json, which Tests/SeqTests/OpParityTests.swift reads; the
Swift tests never run Python, so the JSON file is committed.

Regenerate (from the repository root; needs NumPy and SciPy):

    python3 scripts/make_op_fixtures.py

The output is deterministic for a given seed (`SEED` below). Inputs are drawn in float32 and
written as the exact decimal value of each float32 (so Swift reads back the same bits); the
expected outputs are computed in float64 from those float32 inputs and written to 13 significant
digits. Non-finite values are written as the strings "inf", "-inf", "nan".

Each case is {"name", "op", "inputs": [tensor], "params": {...}, "outputs": [tensor]} with
tensor = {"shape": [...], "data": [...]} in row-major order. Conventions follow the Swift API:
softmax / log-softmax / layer norm act on the last axis; cross-entropy uses PyTorch's label
smoothing (target distribution (1 - eps) * onehot + eps / V), ignores rows whose target is the
ignored index and, with reduction "mean", divides by the number of counted rows (0 if none).
"""

import json
import math
import os

import numpy as np
from scipy.special import erf

SEED = 20240521
OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "SeqTests", "Fixtures", "ops.json")

rng = np.random.default_rng(SEED)
cases = []


# ----------------------------------------------------------------------------- helpers

def f32(array):
    """The float32 input, as float64 for the reference computation."""
    return np.asarray(array, dtype=np.float32).astype(np.float64)


def uniform(shape, low=-1.0, high=1.0):
    return f32(rng.uniform(low, high, size=shape))


def normal(shape, scale=1.0, loc=0.0):
    return f32(rng.normal(loc, scale, size=shape))


def away_from_zero(shape, low=0.5, high=2.0):
    """Values with |x| in [low, high] and random sign (divisors)."""
    magnitude = rng.uniform(low, high, size=shape)
    sign = np.where(rng.uniform(size=shape) < 0.5, -1.0, 1.0)
    return f32(magnitude * sign)


def encode_number(x, digits=None):
    """A JSON number (exact unless `digits` significant digits are asked for), or a string for inf/nan."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return float(f"{x:.{digits}g}") if digits else x


def tensor(array, digits=None):
    array = np.asarray(array, dtype=np.float64)
    return {"shape": list(array.shape), "data": [encode_number(x, digits) for x in array.reshape(-1)]}


def add_case(name, op, inputs, outputs, **params):
    assert not any(c["name"] == name for c in cases), name
    for x in inputs:
        # Inputs must be exact float32 values.
        x = np.asarray(x, dtype=np.float64)
        finite = x[np.isfinite(x)]
        assert np.array_equal(finite.astype(np.float32).astype(np.float64), finite), name
    if not isinstance(outputs, list):
        outputs = [outputs]
    cases.append({
        "name": name,
        "op": op,
        "inputs": [tensor(x) for x in inputs],
        "params": {key: encode_number(value) if isinstance(value, float) else value for key, value in params.items()},
        # 13 significant digits: far below the 1e-5 tolerance, and a third smaller than 17.
        "outputs": [tensor(y, digits=13) for y in outputs],
    })


# ----------------------------------------------------------------------------- references (float64)

def softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(x):
    shifted = x - x.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def gelu(x):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0)))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def layer_norm(x, gain, bias, epsilon):
    mean = x.mean(axis=-1, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(variance + epsilon) * gain + bias


def cross_entropy(logits, targets, smoothing, ignored, reduction):
    classes = logits.shape[-1]
    flat = logits.reshape(-1, classes)
    log_p = log_softmax(flat)
    total, counted = 0.0, 0
    for row, target in enumerate(targets):
        if ignored is not None and target == ignored:
            continue
        q = np.full(classes, smoothing / classes)
        q[target] += 1.0 - smoothing
        total += -(q * log_p[row]).sum()
        counted += 1
    if reduction == "mean":
        return np.float64(total / counted if counted else 0.0)
    return np.float64(total)


def masked_fill(x, mask, value):
    return np.where(np.broadcast_to(mask, x.shape) != 0, value, x)


# ----------------------------------------------------------------------------- element-wise binary

BINARY = {
    "add": np.add,
    "subtract": np.subtract,
    "multiply": np.multiply,
    "divide": np.divide,
}

# (label, left shape, right shape): every broadcasting case the engine supports.
BROADCASTS = [
    ("same_shape", [3, 4], [3, 4]),
    ("trailing_vector", [2, 3, 4], [4]),
    ("leading_vector", [4], [2, 3, 4]),
    ("scalar_right", [3, 4], []),
    ("scalar_left", [], [3, 4]),
    ("leading_batch_axes_right", [2, 3, 4], [3, 4]),
    ("leading_batch_axes_left", [3, 4], [2, 3, 4]),
    ("two_leading_axes", [2, 2, 3, 4], [3, 4]),
    ("size1_middle", [2, 3, 4], [2, 1, 4]),
    ("size1_last", [2, 3, 4], [2, 3, 1]),
    ("size1_both", [2, 1, 4], [2, 3, 1]),
    ("outer", [3, 1], [1, 4]),
    ("size1_leading_vector", [2, 3, 4], [1, 1, 4]),
    ("mask_like", [2, 2, 3, 4], [2, 1, 1, 4]),
]

for op, function in BINARY.items():
    for label, left, right in BROADCASTS:
        a = uniform(left, -3, 3)
        b = away_from_zero(right) if op == "divide" else uniform(right, -3, 3)
        add_case(f"{op}/{label}", op, [a, b], function(a, b))

# The Float-scalar overloads (a + s, s - a, a / s, ...).
for op, function in BINARY.items():
    a = uniform([2, 5], -3, 3)
    s = float(np.float32(rng.uniform(0.5, 2.0)))
    add_case(f"{op}/float_right", op + "FloatRight", [a], function(a, s), scalar=s)
    if op != "divide":
        b = uniform([2, 5], -3, 3)
        add_case(f"{op}/float_left", op + "FloatLeft", [b], function(s, b), scalar=s)

x = uniform([3, 4], -3, 3)
add_case("negate", "negate", [x], -x)

# ----------------------------------------------------------------------------- element-wise unary

tanh_input = np.concatenate([uniform([24], -6, 6), uniform([8], -0.06, 0.06), f32([0.0, 0.0625, -0.0625, 10.0, -10.0])])
add_case("tanh", "tanh", [tanh_input], np.tanh(tanh_input))
sigmoid_input = np.concatenate([uniform([24], -20, 20), f32([0.0, 1e-4, -1e-4, 30.0, -30.0])])
add_case("sigmoid", "sigmoid", [sigmoid_input], sigmoid(sigmoid_input))
relu_input = np.concatenate([uniform([16], -3, 3), f32([0.0, -0.0])])
add_case("relu", "relu", [relu_input], np.maximum(relu_input, 0.0))
gelu_input = np.concatenate([uniform([24], -6, 6), uniform([8], -0.1, 0.1), f32([0.0, 1.0, -1.0, 3.0, -3.0])])
add_case("gelu", "gelu", [gelu_input], gelu(gelu_input))
exp_input = np.concatenate([uniform([24], -20, 20), uniform([8], -1e-3, 1e-3), f32([0.0, 1.0, -1.0, 80.0, -80.0])])
add_case("exp", "exp", [exp_input], np.exp(exp_input))
log_input = np.concatenate([f32(np.exp(rng.uniform(math.log(1e-3), math.log(1e3), size=24))), f32([1.0, 0.5, 2.0, 1.001, 0.999])])
add_case("log", "log", [log_input], np.log(log_input))
sqrt_input = np.concatenate([uniform([24], 0, 100), f32([0.0, 1e-6, 1.0, 4.0, 1e6])])
add_case("sqrt", "sqrt", [sqrt_input], np.sqrt(sqrt_input))
x = uniform([2, 3, 4], -2, 2)
add_case("tanh/rank3", "tanh", [x], np.tanh(x))
add_case("sigmoid/rank3", "sigmoid", [x], sigmoid(x))

# ----------------------------------------------------------------------------- softmax

softmax_inputs = {
    "row": normal([7]),
    "matrix": normal([3, 5]),
    "rank3": normal([2, 3, 6], 2.0),
    "width1": normal([4, 1]),
    # Far beyond exp's float range: only a stable implementation survives.
    "large_positive": normal([3, 8], 5.0, 1000.0),
    "large_negative": normal([3, 8], 5.0, -1000.0),
    "large_spread": f32(np.stack([rng.uniform(-100, 100, 8), rng.uniform(-500, 500, 8), [88, 89, 90, 100, -100, 0, 1, 2]])),
    "ties": f32([[3.0, 3.0, 3.0, 3.0], [0.0, 0.0, 50.0, 50.0]]),
}
for label, x in softmax_inputs.items():
    add_case(f"softmax/{label}", "softmax", [x], softmax(x))
    add_case(f"logSoftmax/{label}", "logSoftmax", [x], log_softmax(x))

# ----------------------------------------------------------------------------- reductions

x = uniform([2, 3, 4], 0.5, 2.0)
add_case("sum/all", "sum", [x], np.float64(x.sum()))
add_case("mean/all", "mean", [x], np.float64(x.mean()))
y = uniform([2, 3, 4], -2, 2)
add_case("sum/all_mixed_signs", "sum", [y], np.float64(y.sum()))
for axis in [0, 1, 2, -1]:
    for keep in [False, True]:
        suffix = f"axis{axis}" + ("_kept" if keep else "")
        add_case(f"sum/{suffix}", "sumAxis", [y], y.sum(axis=axis, keepdims=keep), axis=axis, keepingAxis=keep)
        add_case(f"mean/{suffix}", "meanAxis", [y], y.mean(axis=axis, keepdims=keep), axis=axis, keepingAxis=keep)
v = uniform([5], -2, 2)
add_case("sum/vector_axis0", "sumAxis", [v], np.float64(v.sum()), axis=0, keepingAxis=False)

# ----------------------------------------------------------------------------- shape

x = uniform([2, 3, 4])
add_case("reshaped/flat", "reshaped", [x], x.reshape(24), newShape=[24])
add_case("reshaped/inferred", "reshaped", [x], x.reshape(6, -1), newShape=[6, -1])
add_case("reshaped/add_axes", "reshaped", [x], x.reshape(1, 2, 12, 1), newShape=[1, 2, 12, 1])
for axes in [[0, 2, 1], [2, 0, 1], [1, 2, 0], [2, 1, 0]]:
    add_case(f"permuted/{''.join(map(str, axes))}", "permuted", [x], x.transpose(axes), axes=axes)
x4 = uniform([2, 3, 2, 4])
add_case("permuted/heads_0213", "permuted", [x4], x4.transpose(0, 2, 1, 3), axes=[0, 2, 1, 3])
add_case("transposed/default", "transposed", [x], np.swapaxes(x, -2, -1))
add_case("transposed/0_2", "transposed", [x], np.swapaxes(x, 0, 2), first=0, second=2)
m = uniform([3, 5])
add_case("transposed/matrix", "transposed", [m], m.T)

parts = [uniform([2, 1, 4]), uniform([2, 3, 4]), uniform([2, 2, 4])]
add_case("concatenate/axis1", "concatenate", parts, np.concatenate(parts, axis=1), axis=1)
parts = [uniform([1, 3, 4]), uniform([2, 3, 4])]
add_case("concatenate/axis0", "concatenate", parts, np.concatenate(parts, axis=0), axis=0)
parts = [uniform([2, 3, 1]), uniform([2, 3, 2]), uniform([2, 3, 3])]
add_case("concatenate/last_negative", "concatenate", parts, np.concatenate(parts, axis=-1), axis=-1)

x = uniform([3, 5, 4])
add_case("sliced/axis1", "sliced", [x], x[:, 1:4, :], axis=1, start=1, end=4)
add_case("sliced/axis0", "sliced", [x], x[2:3], axis=0, start=2, end=3)
add_case("sliced/last_negative", "sliced", [x], x[..., 0:2], axis=-1, start=0, end=2)
add_case("sliced/empty", "sliced", [x], x[:, 2:2, :], axis=1, start=2, end=2)
add_case("split/axis1", "split", [x], [x[:, 0:2], x[:, 2:3], x[:, 3:5]], axis=1, sizes=[2, 1, 2])
add_case("split/last", "split", [x], [x[..., 0:3], x[..., 3:4]], axis=-1, sizes=[3, 1])

# ----------------------------------------------------------------------------- matmul

def op_t(x, transpose):
    return np.swapaxes(x, -2, -1) if transpose else x


def matmul_case(label, a_shape, b_shape, transpose_a, transpose_b):
    a = uniform(a_shape)
    b = uniform(b_shape)
    expected = np.matmul(op_t(a, transpose_a), op_t(b, transpose_b))
    name = f"matmul/{label}_{'T' if transpose_a else 'N'}{'T' if transpose_b else 'N'}"
    add_case(name, "matmul", [a, b], expected, transposeA=transpose_a, transposeB=transpose_b)


m_, k_, n_ = 3, 5, 4
for ta in [False, True]:
    for tb in [False, True]:
        a_shape = [k_, m_] if ta else [m_, k_]
        b_shape = [n_, k_] if tb else [k_, n_]
        matmul_case("2d", a_shape, b_shape, ta, tb)
        matmul_case("batched", [2] + a_shape, [2] + b_shape, ta, tb)
        matmul_case("shared_right", [2] + a_shape, b_shape, ta, tb)
        matmul_case("shared_left", a_shape, [2] + b_shape, ta, tb)
matmul_case("batched_rank4", [2, 2, 3, 4], [2, 2, 4, 5], False, False)
matmul_case("batched_rank4_attention", [2, 2, 3, 4], [2, 2, 6, 4], False, True)
matmul_case("shared_right_rank4", [2, 2, 3, 4], [4, 5], False, False)
matmul_case("row_vector", [1, 16], [16, 32], False, False)
matmul_case("larger", [9, 33], [33, 17], False, False)

# ----------------------------------------------------------------------------- gather, masked fill

table = uniform([6, 4])
indices = [5, 0, 2, 2, 5, 1]
add_case("gatherRows/repeated", "gatherRows", [table], table[indices], indices=indices)
add_case("gatherRows/index_shape", "gatherRows", [table], table[indices].reshape(2, 3, 4), indices=indices, indexShape=[2, 3])
cube = uniform([4, 2, 3])
add_case("gatherRows/rank3_table", "gatherRows", [cube], cube[[3, 3, 0]], indices=[3, 3, 0])

scores = uniform([2, 2, 3, 4], -3, 3)
padding = f32([[0, 0, 1, 1], [0, 0, 0, 1]]).reshape(2, 1, 1, 4)
causal = f32(np.triu(np.ones((3, 3)), k=1))
square = uniform([2, 2, 3, 3], -3, 3)
same = f32(rng.uniform(size=[3, 4]) < 0.4)
x = uniform([3, 4])
add_case("maskedFill/same_shape", "maskedFill", [x, same], masked_fill(x, same, 0.0), value=0.0)
add_case("maskedFill/padding_mask", "maskedFill", [scores, padding], masked_fill(scores, padding, -1e9), value=-1e9)
add_case("maskedFill/causal_mask", "maskedFill", [square, causal], masked_fill(square, causal, -math.inf), value=-math.inf)
# Attention's path: masked scores through softmax (masked weights exactly zero).
add_case("maskedFill_softmax/padding_neg_inf", "maskedFillSoftmax", [scores, padding],
         softmax(masked_fill(scores, padding, -math.inf)), value=-math.inf)
add_case("maskedFill_softmax/causal_neg_1e9", "maskedFillSoftmax", [square, causal],
         softmax(masked_fill(square, causal, -1e9)), value=-1e9)

# ----------------------------------------------------------------------------- layer norm

for label, shape, epsilon, offset, scale in [
    ("matrix", [4, 8], 1e-5, 0.0, 1.0),
    ("rank3", [2, 3, 6], 1e-5, 0.0, 2.0),
    # Mean 10x the deviation: a float32 mean near m is off by up to ulp(m)/2, so a much larger
    # offset makes x - mean itself miss 1e-5 relative in any float32 implementation.
    ("offset_mean", [3, 8], 1e-5, 10.0, 1.0),
    ("epsilon_1e-3", [3, 5], 1e-3, 0.0, 0.1),
    ("vector", [16], 1e-6, 1.0, 3.0),
]:
    x = normal(shape, scale, offset)
    gain = uniform([shape[-1]], 0.5, 1.5)
    bias = uniform([shape[-1]], -0.5, 0.5)
    add_case(f"layerNormalized/{label}", "layerNormalized", [x, gain, bias],
             layer_norm(x, gain, bias, float(np.float32(epsilon))), epsilon=epsilon)

# ----------------------------------------------------------------------------- cross-entropy

def cross_entropy_case(label, logits, targets, smoothing=0.0, ignored=None, reduction="mean"):
    for eps in ([smoothing] if isinstance(smoothing, float) else smoothing):
        name = f"crossEntropy/{label}_ls{eps:g}"
        add_case(name, "crossEntropy", [logits],
                 cross_entropy(logits, targets, float(np.float32(eps)), ignored, reduction),
                 targets=targets, labelSmoothing=eps, ignoredIndex=ignored, reduction=reduction)


vocabulary = 7
logits = normal([6, vocabulary], 2.0)
targets = [int(t) for t in rng.integers(1, vocabulary, size=6)]
cross_entropy_case("plain", logits, targets, [0.0, 0.1])
padded = list(targets)
padded[1] = padded[4] = 0
cross_entropy_case("padding", logits, padded, [0.0, 0.1], ignored=0)
cross_entropy_case("padding_sum", logits, padded, [0.0, 0.1], ignored=0, reduction="sum")
cross_entropy_case("all_padding", logits, [0] * 6, [0.1], ignored=0)
cross_entropy_case("padding_index_unused", logits, targets, [0.1], ignored=0)
logits3 = normal([2, 3, 5], 1.5)
targets3 = [int(t) for t in rng.integers(0, 5, size=6)]
targets3[5] = 4
cross_entropy_case("rank3_pad4", logits3, targets3, [0.0, 0.1], ignored=4)
large = normal([4, 9], 20.0, 1000.0)
large_targets = [int(t) for t in rng.integers(0, 9, size=4)]
cross_entropy_case("large_logits", large, large_targets, [0.0, 0.1])
cross_entropy_case("large_negative_logits", f32(large - 2000.0), large_targets, [0.0, 0.1])
# A confident prediction at large magnitude: a tiny loss that the float32 log-sum-exp near 1000
# must not swamp (compute (x - max) - log-sum, never x - (max + log-sum)).
confident = normal([4, 9], 1.0, 1000.0)
confident_targets = [int(t) for t in rng.integers(0, 9, size=4)]
for row, target in enumerate(confident_targets):
    confident[row, target] += 12.0
cross_entropy_case("large_confident", f32(confident), confident_targets, [0.0, 0.1])
cross_entropy_case("smoothing_0.3", logits, targets, [0.3])

# ----------------------------------------------------------------------------- write

document = {
    "generator": "scripts/make_op_fixtures.py",
    "seed": SEED,
    "numpy": np.__version__,
    "cases": cases,
}
text = json.dumps(document, separators=(",", ":"), allow_nan=False)
os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
with open(OUTPUT, "w") as f:
    f.write(text + "\n")
print(f"wrote {len(cases)} cases, {len(text) / 1024:.1f} KB to {os.path.normpath(OUTPUT)}")
