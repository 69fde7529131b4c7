"""Goldens for the probe and k-NN kernels: argmax_rows (loss family), gather_rows (elementwise)
and knn_vote (knn family), computed with PyTorch.

- argmax: torch.argmax(x, dim=1) on logits with repeated values (first maximum wins in both).
  No NaN here: torch lets NaN win, our kernel never does (documented in kernels/loss).
- gather: src[perm[offset : offset + rows]] (torch.index_select).
- knn: the InstDisc/SimCLR monitor's weighted vote: torch.topk(sim, k) → weights exp(s / t)
  scattered per class → argmax. Similarities are distinct and the vote margins wide, so f32
  rounding cannot change a winner.

Fixture: tests/golden/fixtures/probe_kernels.json.
"""
import torch

from _common import save


def main():
    g = torch.Generator().manual_seed(11)
    cases = []
    # argmax: integers in a small range give many ties.
    x = torch.randint(-3, 4, (9, 13), generator=g).float()
    x[2] = 5.0  # a row of equal values: index 0
    cases.append({"name": "argmax", "tensors": {"x": x, "pred": torch.argmax(x, 1).float()}})
    # gather: a permutation window of 5 rows out of 10, rows of 6 floats.
    src = torch.randn(10, 6, generator=g)
    perm = torch.randperm(10, generator=g)
    off, rows = 2, 5
    cases.append({"name": "gather", "params": {"offset": off, "rows": rows},
                  "tensors": {"src": src, "perm": perm.float(),
                              "out": src.index_select(0, perm[off:off + rows])}})
    # knn: 6 queries against 50 bank rows in 4 classes, k 7, t 0.1.
    n, q, classes, k, t = 50, 6, 4, 7, 0.1
    sim = torch.rand(q, n, generator=g, dtype=torch.float64) * 2 - 1
    labels = torch.randint(0, classes, (n,), generator=g)
    top, idx = sim.topk(k, dim=1)
    votes = torch.zeros(q, classes, dtype=torch.float64)
    votes.scatter_add_(1, labels[idx], (top / t).exp())
    best = votes.topk(2, dim=1).values
    margin = ((best[:, 0] - best[:, 1]) / best[:, 0]).min().item()
    assert margin > 1e-3, f"vote margin {margin} too small for an f32 comparison"
    cases.append({"name": "knn", "params": {"k": k, "classes": classes, "t": t},
                  "tensors": {"sim": sim.float(), "labels": labels.float(),
                              "pred": votes.argmax(1).float()}})
    save("probe_kernels", cases)


if __name__ == "__main__":
    main()
