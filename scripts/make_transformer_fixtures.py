#!/usr/bin/env python3
"""Reference values for Parley's Transformer blocks, computed independently with NumPy.

Writes Tests/SeqTests/Fixtures/transformer.json with, for each case, float32 inputs and
parameters (named as Parley names them, weights in PyTorch's [out, in] layout) and float64
reference outputs computed from the equations of Vaswani et al. 2017 ("Attention Is All You
Need", §3.2 multi-head attention, §3.3 feed-forward) with layer normalisation (Ba et al. 2016):

  * a multi-head attention block with a key padding mask (cross-attention shape: queries and
    memory of different lengths);
  * a full encoder layer, pre-norm with ReLU and post-norm with GELU.

Usage: python3 scripts/make_transformer_fixtures.py   (NumPy only; run from the repository root)
"""

import json
import math
import os

import numpy as np

SEED = 20240607
MASKED_SCORE = -1e9  # what Parley writes at masked positions; any value that underflows works


def f32(rng, *shape, scale=1.0):
    """Float32 values (so Swift sees exactly the same numbers), returned as float64."""
    return (rng.standard_normal(shape) * scale).astype(np.float32).astype(np.float64)


def tensor(x):
    x = np.asarray(x, dtype=np.float64)
    return {"shape": list(x.shape), "data": [float(v) for v in x.reshape(-1)]}


def linear_parameters(rng, prefix, inputs, outputs, params):
    bound = math.sqrt(6 / (inputs + outputs))
    w = (rng.uniform(-bound, bound, (outputs, inputs))).astype(np.float32).astype(np.float64)
    b = f32(rng, outputs, scale=0.1)
    params[prefix + ".weight"] = w
    params[prefix + ".bias"] = b
    return w, b


def linear(x, w, b):
    return x @ w.T + b


def padding_mask(lengths, length):
    """[batch, 1, 1, length], True at padding."""
    mask = np.zeros((len(lengths), 1, 1, length), dtype=bool)
    for i, n in enumerate(lengths):
        mask[i, 0, 0, n:] = True
    return mask


def softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def multi_head_attention(queries, memory, mask, params, prefix, heads):
    """queries [b, q, d], memory [b, k, d] -> output [b, q, d], weights [b, h, q, k]."""
    b, q_len, d = queries.shape
    k_len = memory.shape[1]
    dk = d // heads

    def project(x, name, length):
        y = linear(x, params[f"{prefix}.{name}.weight"], params[f"{prefix}.{name}.bias"])
        return y.reshape(b, length, heads, dk).transpose(0, 2, 1, 3)  # [b, h, len, dk]

    q = project(queries, "query", q_len)
    k = project(memory, "key", k_len)
    v = project(memory, "value", k_len)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(dk)  # [b, h, q, k]
    scores = np.where(mask, MASKED_SCORE, scores)
    weights = softmax(scores)
    context = (weights @ v).transpose(0, 2, 1, 3).reshape(b, q_len, d)
    out = linear(context, params[f"{prefix}.output.weight"], params[f"{prefix}.output.bias"])
    return out, weights


def layer_norm(x, params, prefix, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * params[prefix + ".weight"] + params[prefix + ".bias"]


def gelu(x):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x / math.sqrt(2)))


def feed_forward(x, params, activation):
    h = linear(x, params["feedForward.hidden.weight"], params["feedForward.hidden.bias"])
    h = np.maximum(h, 0) if activation == "relu" else gelu(h)
    return linear(h, params["feedForward.output.weight"], params["feedForward.output.bias"])


def encoder_layer(x, mask, params, heads, normalization, activation):
    def attend(y):
        return multi_head_attention(y, y, mask, params, "selfAttention", heads)

    if normalization == "pre":
        a, weights = attend(layer_norm(x, params, "selfAttentionNorm"))
        x = x + a
        x = x + feed_forward(layer_norm(x, params, "feedForwardNorm"), params, activation)
    else:
        a, weights = attend(x)
        x = layer_norm(x + a, params, "selfAttentionNorm")
        x = layer_norm(x + feed_forward(x, params, activation), params, "feedForwardNorm")
    return x, weights


def attention_parameters(rng, prefix, d, params):
    for name in ("query", "key", "value", "output"):
        linear_parameters(rng, f"{prefix}.{name}", d, d, params)


def attention_case(rng):
    batch, q_len, k_len, d, heads = 2, 4, 5, 8, 2
    lengths = [5, 3]
    params = {}
    attention_parameters(rng, "block", d, params)
    queries = f32(rng, batch, q_len, d)
    memory = f32(rng, batch, k_len, d)
    out, weights = multi_head_attention(queries, memory, padding_mask(lengths, k_len), params, "block", heads)
    return {
        "name": "multi-head attention, key padding",
        "modelSize": d, "heads": heads, "memoryLengths": lengths,
        # The block's own names: query.weight, query.bias, …
        "parameters": {k.removeprefix("block."): tensor(v) for k, v in params.items()},
        "queries": tensor(queries), "memory": tensor(memory),
        "output": tensor(out), "weights": tensor(weights),
    }


def encoder_case(rng, normalization, activation):
    batch, length, d, heads, inner = 2, 5, 8, 2, 16
    lengths = [5, 2]
    params = {}
    attention_parameters(rng, "selfAttention", d, params)
    for norm in ("selfAttentionNorm", "feedForwardNorm"):
        # Gains near 1 and small biases, not the trivial initial values.
        params[norm + ".weight"] = 1 + f32(rng, d, scale=0.2)
        params[norm + ".bias"] = f32(rng, d, scale=0.1)
    linear_parameters(rng, "feedForward.hidden", d, inner, params)
    linear_parameters(rng, "feedForward.output", inner, d, params)
    x = f32(rng, batch, length, d)
    out, weights = encoder_layer(x, padding_mask(lengths, length), params, heads, normalization, activation)
    return {
        "name": f"encoder layer, {normalization}-norm, {activation}",
        "modelSize": d, "heads": heads, "feedForwardSize": inner,
        "normalization": normalization, "activation": activation, "lengths": lengths,
        "parameters": {k: tensor(v) for k, v in params.items()},
        "input": tensor(x), "output": tensor(out), "attention": tensor(weights),
    }


def main():
    rng = np.random.default_rng(SEED)
    fixture = {
        "generator": "scripts/make_transformer_fixtures.py",
        "seed": SEED,
        "numpy": np.__version__,
        "attention": attention_case(rng),
        "encoderLayers": [encoder_case(rng, "pre", "relu"), encoder_case(rng, "post", "gelu")],
    }
    path = os.path.join("Tests", "SeqTests", "Fixtures", "transformer.json")
    with open(path, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
