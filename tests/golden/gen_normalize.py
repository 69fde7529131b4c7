"""Goldens for kernels/normalize: per-channel input normalisation (ImageNet constants) and
F.normalize (L2 per row, eps 1e-12), forward and backward, including an all-zero row and a row
whose norm is below eps (the clamped branch)."""
import torch
import torch.nn.functional as F

from _common import rand, save

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)


def chan_case(g, shape):
    x = torch.rand(*shape, generator=g, dtype=torch.float64).float().double().requires_grad_()
    m = torch.tensor(MEAN, dtype=torch.float64).view(1, -1, 1, 1)
    s = torch.tensor(STD, dtype=torch.float64).view(1, -1, 1, 1)
    y = (x - m) / s
    gy = rand(g, *shape).double()
    y.backward(gy)
    return {"name": f"channels_{'x'.join(map(str, shape))}", "params": {"op": "channels"},
            "tensors": {"x": x, "y": y, "gy": gy, "gx": x.grad}}


def l2_case(g, shape, special=False):
    z = rand(g, *shape).double()
    if special:
        z[0] = 0.0
        z[1] = (rand(g, shape[1]).double() * 1e-14).float().double()
    z.requires_grad_()
    u = F.normalize(z, dim=1, eps=1e-12)
    gu = rand(g, *shape).double()
    u.backward(gu)
    tag = "_zero_tiny" if special else ""
    return {"name": f"l2{tag}_{'x'.join(map(str, shape))}", "params": {"op": "l2"},
            "tensors": {"z": z, "u": u, "gu": gu, "gz": z.grad}}


def main():
    g = torch.Generator().manual_seed(0)
    cases = [
        chan_case(g, (2, 3, 5, 7)),
        chan_case(g, (2, 3, 8, 8)),
        l2_case(g, (6, 11)),
        l2_case(g, (5, 128)),
        l2_case(g, (2, 9), special=True),
        l2_case(g, (3, 200)),
    ]
    save("normalize", cases)


if __name__ == "__main__":
    main()
