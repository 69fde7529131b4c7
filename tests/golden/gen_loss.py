"""Goldens for kernels/loss: NT-Xent (docs/method.md §4) in the symmetric SimCLR form and both SDCLR
one-sided forms (the other view detached), and softmax cross-entropy, forward and backward.

NT-Xent is written as SimCLR's reference does it: F.normalize, similarity / t with the
diagonal masked out, cross-entropy against the other view's index."""
import torch
import torch.nn.functional as F

from _common import rand, save


def nt_xent(z1, z2, t, reduction="mean"):
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    r = u.shape[0]
    b = r // 2
    sim = (u @ u.T) / t
    sim = sim.masked_fill(torch.eye(r, dtype=torch.bool), float("-inf"))
    pos = torch.cat([torch.arange(b, r), torch.arange(0, b)])
    return F.cross_entropy(sim, pos, reduction=reduction)


def per_sample(z1, z2, t):
    """BCL's per-sample losses: image i's two rows (i and i + B) averaged, as the released
    BCL code's loss.view(2, B).mean(0)."""
    rows = nt_xent(z1, z2, t, reduction="none")
    return rows.view(2, -1).mean(0)


def main():
    g = torch.Generator().manual_seed(2)
    cases = []
    for b, d, t, gy in [(3, 5, 0.2, 1.0), (3, 5, 0.5, 0.7), (16, 128, 0.2, 1.0), (16, 128, 0.5, 1.3)]:
        z1 = rand(g, b, d, scale=2.0).double()
        z2 = rand(g, b, d, scale=2.0).double()
        a1, a2 = z1.clone().requires_grad_(), z2.clone().requires_grad_()
        loss = nt_xent(a1, a2, t)
        loss.backward(torch.tensor(gy, dtype=torch.float64))
        o1 = z1.clone().requires_grad_()
        nt_xent(o1, z2.detach(), t).backward(torch.tensor(gy, dtype=torch.float64))
        o2 = z2.clone().requires_grad_()
        nt_xent(z1.detach(), o2, t).backward(torch.tensor(gy, dtype=torch.float64))
        cases.append({
            "name": f"ntxent_B{b}_d{d}_t{t}",
            "params": {"temperature": t, "gy": gy},
            "tensors": {"z1": z1, "z2": z2, "loss": loss.reshape(1), "g1": a1.grad, "g2": a2.grad,
                        "g1_only": o1.grad, "g2_only": o2.grad,
                        "samples": per_sample(z1, z2, t)},
        })
    for n, c, gy in [(7, 10, 1.0), (64, 100, 1.3), (5, 3, 0.5)]:
        x = rand(g, n, c, scale=3.0).double().requires_grad_()
        labels = torch.randint(0, c, (n,), generator=g)
        loss = F.cross_entropy(x, labels)
        loss.backward(torch.tensor(gy, dtype=torch.float64))
        cases.append({
            "name": f"cross_entropy_{n}x{c}",
            "params": {"gy": gy},
            "tensors": {"logits": x, "labels": labels.double(), "loss": loss.reshape(1), "gx": x.grad},
        })
    save("loss", cases)


if __name__ == "__main__":
    main()
