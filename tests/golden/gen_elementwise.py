"""Goldens for kernels/elementwise: relu, add, scale forward and backward."""
import torch

from _common import rand, save


def main():
    g = torch.Generator().manual_seed(0)
    cases = []
    for shape in [(7,), (3, 5, 9), (2, 8, 33)]:
        x = rand(g, *shape).double().requires_grad_()
        b = rand(g, *shape).double().requires_grad_()
        gy = rand(g, *shape).double()
        y = torch.relu(x + b) * 0.5
        y.backward(gy)
        cases.append({
            "name": f"relu_add_scale_{'x'.join(map(str, shape))}",
            "params": {"alpha": 0.5},
            "tensors": {"x": x, "b": b, "gy": gy, "y": y, "gx": x.grad, "gb": b.grad},
        })
    save("elementwise", cases)


if __name__ == "__main__":
    main()
