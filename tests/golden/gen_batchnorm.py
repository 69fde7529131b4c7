"""Goldens for kernels/batchnorm: BatchNorm1d/2d train and eval, fused ReLU, running stats.

Train cases run two consecutive training forwards (x1 then x) so the momentum update of the
running statistics is checked twice; the backward is of the second forward only.
"""
import torch
import torch.nn.functional as F

from _common import rand, save


def case(g, name, shape, training, relu, shift=0.0):
    c = shape[1]
    x1 = rand(g, *shape).double() * 1.5 + shift
    x = (rand(g, *shape).double() + shift).requires_grad_()
    w = (rand(g, c).double() * 0.5 + 1.0).requires_grad_()
    b = (rand(g, c).double() * 0.3).requires_grad_()
    rm0 = rand(g, c).double() * 0.2
    rv0 = rand(g, c).double().abs() + 0.5
    gy = rand(g, *shape).double()
    rm, rv = rm0.clone(), rv0.clone()
    tensors = {"weight": w, "bias": b, "rm0": rm0, "rv0": rv0}
    if training:
        with torch.no_grad():
            y1 = F.batch_norm(x1, rm, rv, w, b, True, 0.1, 1e-5)
            if relu:
                y1 = torch.relu(y1)
        tensors.update({"x1": x1, "y1": y1, "rm1": rm.clone(), "rv1": rv.clone()})
    y = F.batch_norm(x, rm, rv, w, b, training, 0.1, 1e-5)
    if relu:
        y = torch.relu(y)
    y.backward(gy)
    tensors.update({"x": x, "y": y, "rm": rm, "rv": rv, "gy": gy,
                    "gx": x.grad, "gw": w.grad, "gb": b.grad})
    return {"name": name,
            "params": {"training": training, "relu": relu, "batches": 2 if training else 0},
            "tensors": tensors}


def main():
    g = torch.Generator().manual_seed(0)
    cases = [
        case(g, "bn2d_train_3x5x7x7", (3, 5, 7, 7), True, False),
        case(g, "bn2d_eval_3x5x7x7", (3, 5, 7, 7), False, False),
        case(g, "bn1d_train_6x11", (6, 11), True, False),
        case(g, "bn1d_eval_6x11", (6, 11), False, False),
        case(g, "bn2d_train_relu_4x3x8x8", (4, 3, 8, 8), True, True),
        case(g, "bn2d_eval_relu_2x4x6x6", (2, 4, 6, 6), False, True),
        case(g, "bn1d_train_relu_9x7", (9, 7), True, True),
        case(g, "bn2d_train_shift_5x4x12x12", (5, 4, 12, 12), True, False, shift=3.0),
        case(g, "bn2d_train_relu_2x3x5x9", (2, 3, 5, 9), True, True),
    ]
    save("batchnorm", cases)


if __name__ == "__main__":
    main()
