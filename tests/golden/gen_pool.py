"""Goldens for kernels/pool: global average pool and max pool 2d (values, argmax, backward).

Tie cases use small integer inputs so windows hold equal maxima: PyTorch sends the gradient to
the first one in row-major scan order. Indices are stored as float32 (small integers, exact).
"""
import torch
import torch.nn.functional as F

from _common import rand, save


def avg_case(g, shape):
    x = rand(g, *shape).double().requires_grad_()
    y = F.adaptive_avg_pool2d(x, 1).flatten(1)
    gy = rand(g, *y.shape).double()
    y.backward(gy)
    return {"name": f"avgpool_{'x'.join(map(str, shape))}", "params": {"op": "avg"},
            "tensors": {"x": x, "y": y, "gy": gy, "gx": x.grad}}


def max_case(g, shape, k, s, p, ties=False):
    if ties:
        x = torch.randint(0, 3, shape, generator=g).double()
    else:
        x = rand(g, *shape).double()
    x.requires_grad_()
    y, idx = F.max_pool2d(x, k, s, p, return_indices=True)
    gy = rand(g, *y.shape).double()
    y.backward(gy)
    tag = "_ties" if ties else ""
    return {"name": f"maxpool{tag}_{'x'.join(map(str, shape))}_k{k}s{s}p{p}",
            "params": {"op": "max", "k": k, "s": s, "pad": p},
            "tensors": {"x": x, "y": y, "indices": idx.double(), "gy": gy, "gx": x.grad}}


def main():
    g = torch.Generator().manual_seed(0)
    cases = [
        avg_case(g, (3, 5, 7, 7)),
        avg_case(g, (2, 6, 4, 4)),
        max_case(g, (2, 3, 9, 9), 3, 2, 1),
        max_case(g, (2, 3, 8, 8), 3, 2, 1),
        max_case(g, (2, 2, 9, 9), 3, 2, 1, ties=True),
        max_case(g, (1, 3, 8, 8), 3, 2, 1, ties=True),
        max_case(g, (1, 2, 7, 6), 2, 2, 0),
        max_case(g, (1, 2, 6, 7), 3, 1, 1, ties=True),
    ]
    save("pool", cases)


if __name__ == "__main__":
    main()
