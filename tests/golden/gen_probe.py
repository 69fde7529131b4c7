"""Goldens for src/eval/linear_probe.ts: the probe's training trajectory (docs/method.md §7).

A bias-having linear classifier on fixed features trained with cross-entropy and SGD
(momentum 0.9, weight decay 0, lr 30 with ×0.1 at the milestones, MultiStepLR stepped per
epoch), batches in a fixed order (the test feeds the same order), computed in float64. The
features are non-negative and of order 1–5 like pooled post-ReLU backbone features, so lr 30
makes the loss climb: the test checks we climb exactly as PyTorch does.

Fixture: tests/golden/fixtures/probe.json (per-epoch mean losses, weights and biases).
"""
import torch
import torch.nn.functional as F

from _common import rand, save

N, DIM, CLASSES, BATCH, EPOCHS, LR, MILESTONES = 40, 16, 5, 16, 6, 30.0, [2, 4]


def main():
    g = torch.Generator().manual_seed(31)
    x = (rand(g, N, DIM).abs() * 2.5)
    y = torch.randint(0, CLASSES, (N,), generator=g)
    w0 = rand(g, CLASSES, DIM, scale=0.01)
    lin = torch.nn.Linear(DIM, CLASSES).double()
    with torch.no_grad():
        lin.weight.copy_(w0.double())
        lin.bias.zero_()
    opt = torch.optim.SGD(lin.parameters(), lr=LR, momentum=0.9, weight_decay=0)
    sched = torch.optim.lr_scheduler.MultiStepLR(opt, MILESTONES, 0.1)
    losses, weights, biases = [], [], []
    for _ in range(EPOCHS):
        total = 0.0
        for s in range(0, N, BATCH):
            xb, yb = x[s:s + BATCH].double(), y[s:s + BATCH]
            opt.zero_grad()
            loss = F.cross_entropy(lin(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(yb)
        losses.append(total / N)
        weights.append(lin.weight.detach().clone())
        biases.append(lin.bias.detach().clone())
        sched.step()
    params = {"batch": BATCH, "epochs": EPOCHS, "lr": LR, "milestones": MILESTONES,
              "classes": CLASSES}
    tensors = {"x": x, "y": y.float(), "w0": w0, "losses": torch.tensor(losses),
               "weights": torch.stack(weights), "biases": torch.stack(biases)}
    save("probe", [{"name": "probe_trajectory", "params": params, "tensors": tensors}])


if __name__ == "__main__":
    main()
