"""Reference values for gru-reset-after-bhn: a reset-after GRU with the recurrent candidate
bias b_hn, differentiated by JAX, written from PyTorch's documented nn.GRUCell equations
(not from this project's code):

    r  = σ(W_ir x + b_ir + W_hr h + b_hr)
    z  = σ(W_iz x + b_iz + W_hz h + b_hz)
    n  = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
    h' = (1 − z) ⊙ n + z ⊙ h

with weight_ih = [W_ir; W_iz; W_in] (3H×D), weight_hh = [W_hr; W_hz; W_hn] (3H×H), bias_ih
and bias_hh likewise, then ŷ_t = softmax(V h_t + b_y) and E = Σ_t −log ŷ_t[k_t].

The weight mapping to `rnn-explain grad`'s names: weight_hh's rows r, z, n are W_r, W_z,
W_h; weight_ih's are U_r, U_z, U_h; b_r = b_ir + b_hr and b_z = b_iz + b_hz (each appears
once in the sum, so its gradient is either bias's); b_h = b_in; b_hn = bias_hh's n part.

    pip install jax   # CPU; 0.10.2 wrote the committed files
    python3 gru-bhn.py

writes gru-reset-after-bhn.input.json and gru-reset-after-bhn.expected.json (float64).
"""

import json

import jax
import jax.numpy as jnp
import numpy as np

jax.config.update("jax_enable_x64", True)

T, D, H, K = 4, 3, 5, 2
rng = np.random.default_rng(20261130)
torch_style = {
    "weight_ih": rng.normal(0, 0.6, (3 * H, D)),
    "weight_hh": rng.normal(0, 0.5, (3 * H, H)),
    "bias_ih": rng.normal(0, 0.3, 3 * H),
    "bias_hh": rng.normal(0, 0.5, 3 * H),
    "V": rng.normal(0, 0.6, (K, H)),
    "b_y": rng.normal(0, 0.1, K),
    "h0": rng.normal(0, 0.5, H),
}
xs = rng.normal(0, 0.6, (T, D))
targets = [int(k) for k in rng.integers(0, K, T)]


def loss(q):
    sig = jax.nn.sigmoid
    h, total = q["h0"], 0.0
    for t in range(T):
        gi = q["weight_ih"] @ xs[t] + q["bias_ih"]
        gh = q["weight_hh"] @ h + q["bias_hh"]
        r = sig(gi[:H] + gh[:H])
        z = sig(gi[H : 2 * H] + gh[H : 2 * H])
        n = jnp.tanh(gi[2 * H :] + r * gh[2 * H :])
        h = (1 - z) * n + z * h
        total = total - jax.nn.log_softmax(q["V"] @ h + q["b_y"])[targets[t]]
    return total


q = {k: jnp.asarray(v) for k, v in torch_style.items()}
value, g = jax.value_and_grad(loss)(q)


def parts(m):
    return m[:H], m[H : 2 * H], m[2 * H :]


def ours(p, bias_sum):
    """This project's names from PyTorch-style arrays (bias_sum: b_r, b_z from both biases)."""
    (Ur, Uz, Uh), (Wr, Wz, Wh) = parts(p["weight_ih"]), parts(p["weight_hh"])
    (bir, biz, bin_), (bhr, bhz, bhn) = parts(p["bias_ih"]), parts(p["bias_hh"])
    br, bz = (bir + bhr, biz + bhz) if bias_sum else (bir, biz)
    named = [("W_r", Wr), ("U_r", Ur), ("b_r", br), ("W_z", Wz), ("U_z", Uz), ("b_z", bz),
             ("W_h", Wh), ("U_h", Uh), ("b_h", bin_), ("b_hn", bhn), ("V", p["V"]),
             ("b_y", p["b_y"])]
    return {k: np.asarray(v).tolist() for k, v in named}


# b_ir and b_hr enter only through their sum: their gradients agree.
assert np.allclose(g["bias_ih"][: 2 * H], g["bias_hh"][: 2 * H], rtol=0, atol=1e-15)

with open("gru-reset-after-bhn.input.json", "w") as f:
    json.dump({"model": "gru", "inputs": xs.tolist(), "targets": targets,
               "params": ours(torch_style, True), "variant": "reset-after",
               "initial_state": {"h": torch_style["h0"].tolist()}}, f)
with open("gru-reset-after-bhn.expected.json", "w") as f:
    json.dump({"loss": float(value), "gradients": ours(g, False),
               "initial_state_gradients": {"h": np.asarray(g["h0"]).tolist()}}, f)
