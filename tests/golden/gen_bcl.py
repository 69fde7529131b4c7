"""Goldens for kernels/bcl: BCL's loss memory and boosting weights over 3 epochs, written
with NumPy as the released BCL training loop does it (a `shadow` per image: the first epoch
stores the per-sample loss, later epochs (1 - beta) * loss + beta * shadow for every image a
batch holds; after each epoch the weights (m - mean) / std (unbiased, as torch.std), divided
by their largest magnitude, halved, plus 1/2).

12 images in batches of 5 (the last batch of each epoch holds 2), a new order every epoch;
the per-sample losses are fixed random values."""
import numpy as np

from _common import save

N, B, EPOCHS, BETA = 12, 5, 3, 0.95


def weights_of(m):
    z = (m - m.mean()) / m.std(ddof=1)
    return z / np.abs(z).max() / 2 + 0.5


def main():
    rng = np.random.default_rng(12)
    orders = np.stack([rng.permutation(N) for _ in range(EPOCHS)])
    losses = rng.uniform(3.0, 7.0, size=(EPOCHS, N)).astype(np.float32).astype(np.float64)
    shadow = np.zeros(N)
    memory, weights = [], []
    for e in range(1, EPOCHS + 1):
        order = orders[e - 1]
        for s in range(0, N, B):
            index = order[s:s + B]
            loss = losses[e - 1, s:s + B]
            for count in range(len(index)):
                if e > 1:
                    new = (1.0 - BETA) * loss[count] + BETA * shadow[index[count]]
                else:
                    new = loss[count]
                shadow[index[count]] = new
        memory.append(shadow.copy())
        weights.append(weights_of(shadow))
    save("bcl", [{
        "name": f"bcl_N{N}_B{B}_3epochs",
        "params": {"beta": BETA, "batch": B},
        # losses[e, j]: the loss of image orders[e, j], the j-th of epoch e + 1.
        "tensors": {"orders": orders.astype(np.float64), "losses": losses,
                    "memory": np.stack(memory), "weights": np.stack(weights)},
    }])


if __name__ == "__main__":
    main()
