"""The XLA peer of `rnn-explain bench` (notes/Performance.md): the same models, loss and
gradients in JAX, jit-compiled by XLA for the CPU, in float64.

Not part of the Swift package: nothing builds, runs or tests with it. It exists so that the
figures in notes/Performance.md can be re-measured side by side with `bench`:

    pip install jax jaxlib
    python3 notes/xla-peer.py            # the medians, in ms, as bench prints them
    swift run -c release rnn-explain bench

Each model is the library's: rnn `h_t = tanh(W h_{t−1} + U x_t + b)`; lstm TF BasicLSTMCell
(gates i, f, o and candidate c, each `W h_{t−1} + U x_t + b`, `c_t = f ⊙ c_{t−1} + i ⊙ c̃`,
`h_t = o ⊙ tanh c_t`); gru reset-before (TF GRUCell); the output `ŷ_t = softmax(V h_t + b_y)`
and `E = Σ_t −log ŷ_t[k_t]`. `loss-and-gradients` is `jit(value_and_grad)` with respect to
every parameter and the initial state, as `rnn-explain grad` computes them.
"""

import statistics
import time

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)


def gate(p, g, x, h):
    return p["W_" + g] @ h + p["U_" + g] @ x + p["b_" + g]


def rnn_step(p, state, x):
    (h,) = state
    return (jnp.tanh(p["W"] @ h + p["U"] @ x + p["b"]),)


def lstm_step(p, state, x):
    h, c = state
    i, f, o = (jax.nn.sigmoid(gate(p, g, x, h)) for g in "ifo")
    candidate = jnp.tanh(gate(p, "c", x, h))
    c = f * c + i * candidate
    return (o * jnp.tanh(c), c)


def gru_step(p, state, x):
    (h,) = state
    r, z = (jax.nn.sigmoid(gate(p, g, x, h)) for g in "rz")
    candidate = jnp.tanh(p["W_h"] @ (r * h) + p["U_h"] @ x + p["b_h"])
    return (z * h + (1 - z) * candidate,)


MODELS = {
    "rnn": (rnn_step, ["W", "U", "b"], 1),
    "lstm": (lstm_step, [n + g for g in "ifoc" for n in ("W_", "U_", "b_")], 2),
    "gru": (gru_step, [n + g for g in "rzh" for n in ("W_", "U_", "b_")], 1),
}


def make_loss(step):
    def loss(p, state, xs, targets):
        def body(state, xk):
            x, k = xk
            state = step(p, state, x)
            z = p["V"] @ state[0] + p["b_y"]
            return state, jax.nn.logsumexp(z) - z[k]  # E_t = −log ŷ_t[k_t]

        _, losses = jax.lax.scan(body, state, (xs, targets))
        return jnp.sum(losses)

    return loss


def random_inputs(model, T, D, H, K, key):
    _, names, parts = MODELS[model]
    keys = iter(jax.random.split(key, 64))
    shape = {"W": (H, H), "U": (H, D), "b": (H,)}
    p = {n: 0.3 * jax.random.normal(next(keys), shape[n[0]]) for n in names}
    p["V"] = 0.6 * jax.random.normal(next(keys), (K, H))
    p["b_y"] = 0.1 * jax.random.normal(next(keys), (K,))
    state = tuple(0.1 * jax.random.normal(next(keys), (H,)) for _ in range(parts))
    xs = jax.random.normal(next(keys), (T, D))
    targets = jax.random.randint(next(keys), (T,), 0, K)
    return p, state, xs, targets


def median_ms(f, args, runs):
    jax.block_until_ready(f(*args))  # compile once, outside the timing
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        jax.block_until_ready(f(*args))
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


def main():
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}, float64")
    print(f"{'NAME':34}{'T':6}{'D':5}{'H':5}{'K':5}MEDIAN (ms)")
    for model, (step, _, _) in MODELS.items():
        for T, D, H, K in [(100, 32, 64, 10), (20, 3, 8, 2)]:
            args = random_inputs(model, T, D, H, K, jax.random.PRNGKey(0))
            loss = make_loss(step)
            forward = jax.jit(loss)
            both = jax.jit(jax.value_and_grad(loss, argnums=(0, 1)))
            for name, f in [("forward", forward), ("loss-and-gradients", both)]:
                ms = median_ms(f, args, runs=300)
                print(f"{model + '-' + name:34}{T:<6}{D:<5}{H:<5}{K:<5}{ms:.3f}")


if __name__ == "__main__":
    main()
