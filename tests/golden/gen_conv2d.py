"""Goldens for kernels/conv2d: forward output and both gradients, PyTorch CPU in float64
from float32 inputs (rounded to float32 in the fixture).

Cases cover the shapes the kernels special-case: odd spatial sizes, C = 3 stems (3×3 s1 and
the 7×7 s2 p3 ImageNet stem), 1×1 s2 downsamples, 3×3 s2 p1, a non-square input without
padding, and masked weights (a random 0/1 mask: the forward uses w ⊙ m and the weight
gradient is m ⊙ dL/d(w ⊙ m), as autograd gives for w * m).
"""
import torch
import torch.nn.functional as F

from _common import rand, save

# name, x shape [N, C, H, W], w shape [O, C, KH, KW], stride, padding, masked
CASES = [
    ("stem_c3_3x3_s1_p1_odd", (2, 3, 9, 9), (6, 3, 3, 3), 1, 1, False),
    ("3x3_s1_p1", (2, 8, 8, 8), (8, 8, 3, 3), 1, 1, False),
    ("3x3_s2_p1_odd", (2, 4, 9, 9), (8, 4, 3, 3), 2, 1, False),
    ("1x1_s2", (2, 8, 8, 8), (8, 8, 1, 1), 2, 0, False),
    ("stem_7x7_s2_p3_15x15", (1, 3, 15, 15), (5, 3, 7, 7), 2, 3, False),
    ("3x3_s1_p0_5x7", (1, 4, 5, 7), (5, 4, 3, 3), 1, 0, False),
    ("masked_3x3_s1_p1", (2, 8, 6, 6), (8, 8, 3, 3), 1, 1, True),
    ("masked_3x3_s2_p1_odd", (2, 4, 7, 7), (4, 4, 3, 3), 2, 1, True),
]


def main():
    g = torch.Generator().manual_seed(0)
    cases = []
    for name, xs, ws, stride, padding, masked in CASES:
        x = rand(g, *xs).double().requires_grad_()
        w = rand(g, *ws, scale=0.5).double().requires_grad_()
        mask = (torch.rand(*ws, generator=g, dtype=torch.float64) < 0.5).double() if masked else None
        w_eff = w * mask if masked else w
        y = F.conv2d(x, w_eff, stride=stride, padding=padding)
        gy = rand(g, *y.shape).double()
        y.backward(gy)
        tensors = {"x": x, "w": w, "gy": gy, "y": y, "gx": x.grad, "gw": w.grad}
        if masked:
            tensors["mask"] = mask
        cases.append({
            "name": name,
            "params": {"stride": stride, "padding": padding, "masked": masked},
            "tensors": tensors,
        })
    save("conv2d", cases)


if __name__ == "__main__":
    main()
