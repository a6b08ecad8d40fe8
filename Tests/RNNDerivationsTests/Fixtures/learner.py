"""A learner's numpy homework for the `rnn` fixture: the compare files of `grad --compare`.

The vanilla RNN of README ("grad") written from the equations in float32, independently of
rnn-explain, and printed with 4 significant digits as a learner's notebook would:

  h_t = tanh(U x_t + W h_{t-1} + b),  yhat_t = softmax(V h_t + b_y),  E = sum_t -log yhat_t[k_t]

    python3 learner.py          # writes rnn.learner-float32.compare.json (correct) and
                                # rnn.no-accumulation.compare.json (`=` where BPTT has `+=`)
    python3 learner.py measure  # float32 against float64 at larger sizes (notes/Verification.md)
"""
import json
import sys

import numpy as np


def bptt(p, xs, targets, h0, dtype, accumulate=True):
    """Loss gradients of the vanilla RNN; `accumulate=False` assigns each step's instead of adding."""
    p = {k: np.asarray(v, dtype) for k, v in p.items()}
    xs, h = np.asarray(xs, dtype), np.asarray(h0, dtype)
    hs, yhats = [h], []
    for x in xs:
        h = np.tanh(p["U"] @ x + p["W"] @ h + p["b"])
        z = p["V"] @ h + p["b_y"]
        e = np.exp(z - z.max())
        hs.append(h)
        yhats.append(e / e.sum())
    d = {k: np.zeros_like(v) for k, v in p.items()}
    dh_next = np.zeros_like(h)
    for t in reversed(range(len(xs))):
        dz = yhats[t].copy()
        dz[targets[t]] -= 1  # yhat - y
        da = (p["V"].T @ dz + dh_next) * (1 - hs[t + 1] ** 2)
        step = {"V": np.outer(dz, hs[t + 1]), "b_y": dz, "U": np.outer(da, xs[t]),
                "W": np.outer(da, hs[t]), "b": da}
        for k, g in step.items():
            if accumulate:
                d[k] += g
            else:
                d[k] = g  # the mistake: each step overwrites the last
        dh_next = p["W"].T @ da
    return d, dh_next


def printed(a):
    """As a notebook prints it: 4 significant digits."""
    return json.loads(json.dumps(np.vectorize(lambda v: float("%.4g" % v))(a).tolist()))


def write(name, d, dh0):
    order = ["U", "W", "b", "V", "b_y"]
    doc = {"gradients": {k: printed(d[k]) for k in order}, "initial_state_gradients": {"h": printed(dh0)}}
    with open(name, "w") as f:
        json.dump(doc, f)
        f.write("\n")


def measure():
    """Largest |float32 - float64| over the largest float64 entry, per size."""
    rng = np.random.default_rng(0)
    for D, H, K, T in [(3, 5, 2, 4), (32, 64, 16, 100), (64, 256, 32, 1000)]:
        p = {"U": rng.normal(size=(H, D)), "W": rng.normal(size=(H, H)), "b": rng.normal(size=H),
             "V": rng.normal(size=(K, H)), "b_y": rng.normal(size=K)}
        p = {k: v / np.sqrt(H) for k, v in p.items()}
        xs, targets = rng.normal(size=(T, D)), rng.integers(0, K, size=T)
        d64, _ = bptt(p, xs, targets, np.zeros(H), np.float64)
        d32, _ = bptt(p, xs, targets, np.zeros(H), np.float32)
        worst = max(np.abs(d32[k] - d64[k]).max() / np.abs(d64[k]).max() for k in p)
        print(f"D,H,K,T = {D},{H},{K},{T}: float32 off by {worst:.1e} of the largest entry")


if __name__ == "__main__":
    if sys.argv[1:] == ["measure"]:
        measure()
        sys.exit()
    with open("rnn.input.json") as f:
        case = json.load(f)
    h0 = np.zeros(len(case["params"]["b"]))
    args = (case["params"], case["inputs"], case["targets"], h0, np.float32)
    write("rnn.learner-float32.compare.json", *bptt(*args))
    write("rnn.no-accumulation.compare.json", *bptt(*args, accumulate=False))
