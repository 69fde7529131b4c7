"""Goldens for kernels/linear: linear (y = x·Wᵀ + b) forward and backward, with and without bias,
on odd and vec4-aligned shapes, plus plain matrix products with each transpose."""
import torch

from _common import rand, save


def main():
    g = torch.Generator().manual_seed(1)
    cases = []
    for n, i, o, bias in [(7, 13, 5, True), (9, 16, 12, False), (32, 64, 24, True), (40, 128, 10, True)]:
        x = rand(g, n, i).double().requires_grad_()
        w = rand(g, o, i, scale=0.1).double().requires_grad_()
        b = rand(g, o).double().requires_grad_() if bias else None
        gy = rand(g, n, o).double()
        y = torch.nn.functional.linear(x, w, b)
        y.backward(gy)
        t = {"x": x, "w": w, "gy": gy, "y": y, "gx": x.grad, "gw": w.grad}
        if bias:
            t.update({"b": b, "gb": b.grad})
        cases.append({"name": f"linear_{n}x{i}_to_{o}{'' if bias else '_nobias'}",
                      "params": {"bias": bias}, "tensors": t})
    for m, k, n in [(11, 6, 9), (20, 32, 36)]:
        for ta in (False, True):
            for tb in (False, True):
                a = rand(g, *((k, m) if ta else (m, k))).double()
                bm = rand(g, *((n, k) if tb else (k, n))).double()
                c = (a.T if ta else a) @ (bm.T if tb else bm)
                cases.append({"name": f"matmul_{m}x{k}x{n}_{'t' if ta else 'n'}{'t' if tb else 'n'}",
                              "params": {"transA": ta, "transB": tb}, "tensors": {"a": a, "b": bm, "c": c}})
    save("linear", cases)


if __name__ == "__main__":
    main()
