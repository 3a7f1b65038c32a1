#!/usr/bin/env python3
"""Reference values for the recurrent cells and the attention of Parley's recurrent families.

An independent NumPy implementation written from the equations (float64 arithmetic on
float32-representable inputs), so the Swift tests need no Python at run time:

    python3 scripts/make_recurrent_fixtures.py   # writes Tests/SeqTests/Fixtures/recurrent.json

Weight layouts match Parley's (and PyTorch's): a cell's `inputWeight` is [gates*H, inputSize],
`hiddenWeight` is [gates*H, H], gate blocks stacked along the first axis — LSTM i, f, g, o;
GRU r, z, n. Linear weights are [out, in]. Every tensor is stored as {"shape": [...],
"data": [... row-major ...]}.
"""
import json
import pathlib

import numpy as np

rng = np.random.default_rng(20240611)


def draw(*shape, scale=1.0):
    # Rounded to float32 so that Swift, which reads them as Float, starts from the same numbers.
    return (rng.uniform(-scale, scale, size=shape)).astype(np.float32).astype(np.float64)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(x, h, c, W, U, b):
    H = h.shape[1]
    gates = x @ W.T + h @ U.T + b
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    c_new = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c_new), c_new


def gru_step(x, h, W, U, b, c):
    H = h.shape[1]
    xs = x @ W.T + b
    hs = h @ U.T + c
    r = sigmoid(xs[:, :H] + hs[:, :H])
    z = sigmoid(xs[:, H:2 * H] + hs[:, H:2 * H])
    n = np.tanh(xs[:, 2 * H:] + r * hs[:, 2 * H:])
    return (1 - z) * n + z * h


def rnn_step(x, h, W, U, b):
    return np.tanh(x @ W.T + h @ U.T + b)


def lstm_sequence(xs, lengths, W, U, b, reverse):
    """Runs one LSTM over each sequence's own first lengths[b] steps, one sequence at a time
    (so no masking is involved); outputs are zero past each length."""
    batch, T, _ = xs.shape
    H = U.shape[1]
    outputs = np.zeros((batch, T, H))
    final_h = np.zeros((batch, H))
    final_c = np.zeros((batch, H))
    for n_b in range(batch):
        n = lengths[n_b]
        h = np.zeros((1, H))
        c = np.zeros((1, H))
        order = range(n - 1, -1, -1) if reverse else range(n)
        for t in order:
            h, c = lstm_step(xs[n_b, t][None, :], h, c, W, U, b)
            outputs[n_b, t] = h[0]
        final_h[n_b], final_c[n_b] = h[0], c[0]
    return outputs, final_h, final_c


def additive_attention(s, memory, lengths, W, V, v):
    """e_j = v^T tanh(W s + V h_j); softmax over j < length; c = sum_j alpha_j h_j."""
    batch, S, _ = memory.shape
    weights = np.zeros((batch, S))
    context = np.zeros((batch, memory.shape[2]))
    for b in range(batch):
        n = lengths[b]
        e = np.array([v[0] @ np.tanh(W @ s[b] + V @ memory[b, j]) for j in range(n)])
        a = np.exp(e - e.max())
        a /= a.sum()
        weights[b, :n] = a
        context[b] = a @ memory[b, :n]
    return weights, context


def general_attention(s, memory, lengths, W):
    """Luong 'general': e_j = s^T W h_j."""
    batch, S, _ = memory.shape
    weights = np.zeros((batch, S))
    context = np.zeros((batch, memory.shape[2]))
    for b in range(batch):
        n = lengths[b]
        e = np.array([s[b] @ W @ memory[b, j] for j in range(n)])
        a = np.exp(e - e.max())
        a /= a.sum()
        weights[b, :n] = a
        context[b] = a @ memory[b, :n]
    return weights, context


def tensor(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}


fixtures = {}

batch, inp, H = 3, 5, 4
x, h, c = draw(batch, inp), draw(batch, H), draw(batch, H)
W, U, b = draw(4 * H, inp), draw(4 * H, H), draw(4 * H)
h1, c1 = lstm_step(x, h, c, W, U, b)
fixtures["lstmCell"] = {
    "input": tensor(x), "hidden": tensor(h), "cell": tensor(c),
    "inputWeight": tensor(W), "hiddenWeight": tensor(U), "bias": tensor(b),
    "newHidden": tensor(h1), "newCell": tensor(c1),
}

W, U, b, cb = draw(3 * H, inp), draw(3 * H, H), draw(3 * H), draw(3 * H)
fixtures["gruCell"] = {
    "input": tensor(x), "hidden": tensor(h),
    "inputWeight": tensor(W), "hiddenWeight": tensor(U), "bias": tensor(b), "hiddenBias": tensor(cb),
    "newHidden": tensor(gru_step(x, h, W, U, b, cb)),
}

W, U, b = draw(H, inp), draw(H, H), draw(H)
fixtures["rnnCell"] = {
    "input": tensor(x), "hidden": tensor(h),
    "inputWeight": tensor(W), "hiddenWeight": tensor(U), "bias": tensor(b),
    "newHidden": tensor(rnn_step(x, h, W, U, b)),
}

# A padded batch through a forward and a reversed LSTM: lengths 4, 2, 1 of a padded length 4.
# The padding positions hold random values: a correct implementation never reads them.
T, lengths = 4, [4, 2, 1]
xs = draw(batch, T, inp)
W, U, b = draw(4 * H, inp), draw(4 * H, H), draw(4 * H)
sequence = {"inputs": tensor(xs), "lengths": lengths, "inputWeight": tensor(W), "hiddenWeight": tensor(U), "bias": tensor(b)}
for name, reverse in [("forward", False), ("backward", True)]:
    out, fh, fc = lstm_sequence(xs, lengths, W, U, b, reverse)
    sequence[name + "Outputs"] = tensor(out)
    sequence[name + "FinalHidden"] = tensor(fh)
    sequence[name + "FinalCell"] = tensor(fc)
fixtures["lstmSequence"] = sequence

Q, M, A, S, lengths = 4, 6, 3, 5, [5, 3, 1]
s, memory = draw(batch, Q), draw(batch, S, M)
W, V, v = draw(A, Q), draw(A, M), draw(1, A)
weights, context = additive_attention(s, memory, lengths, W, V, v)
fixtures["additiveAttention"] = {
    "query": tensor(s), "memory": tensor(memory), "lengths": lengths,
    "queryWeight": tensor(W), "keyWeight": tensor(V), "scoreWeight": tensor(v),
    "weights": tensor(weights), "context": tensor(context),
}
Wg = draw(Q, M)
weights, context = general_attention(s, memory, lengths, Wg)
fixtures["generalAttention"] = {
    "query": tensor(s), "memory": tensor(memory), "lengths": lengths, "keyWeight": tensor(Wg),
    "weights": tensor(weights), "context": tensor(context),
}

out = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "SeqTests" / "Fixtures" / "recurrent.json"
out.write_text(json.dumps(fixtures, indent=1) + "\n")
print(f"wrote {out}")
