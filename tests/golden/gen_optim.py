"""Goldens for kernels/optim: three consecutive torch.optim.SGD steps (momentum, weight decay,
a different lr each step), including a parameter without a gradient on the second step
(PyTorch skips it and keeps its buffer). float32, as training runs."""
import torch

from _common import rand, save


def main():
    g = torch.Generator().manual_seed(3)
    cases = []
    lrs = [0.5, 0.3, 0.05]
    for name, momentum, wd, lr_scale in [("pretrain", 0.9, 1e-4, 1.0), ("linear_eval", 0.9, 0.0, 60.0),
                                          ("no_momentum", 0.0, 5e-4, 1.0)]:
        shapes = [(10,), (3, 5), (64,)]
        params = [torch.nn.Parameter(rand(g, *s)) for s in shapes]
        t = {f"p0_{i}": p.detach().clone() for i, p in enumerate(params)}
        opt = torch.optim.SGD(params, lr=lrs[0], momentum=momentum, weight_decay=wd)
        for s, lr in enumerate(lrs):
            for grp in opt.param_groups:
                grp["lr"] = lr * lr_scale
            for i, p in enumerate(params):
                if i == 2 and s == 1:
                    p.grad = None
                    continue
                p.grad = rand(g, *p.shape)
                t[f"g{s}_{i}"] = p.grad.clone()
            opt.step()
            for i, p in enumerate(params):
                t[f"p{s + 1}_{i}"] = p.detach().clone()
                st = opt.state.get(p, {})
                if st.get("momentum_buffer") is not None:
                    t[f"buf{s + 1}_{i}"] = st["momentum_buffer"].clone()
        cases.append({"name": name, "params": {"momentum": momentum, "weightDecay": wd,
                                               "lrs": [lr * lr_scale for lr in lrs], "count": len(shapes)},
                      "tensors": t})
    save("optim", cases)


if __name__ == "__main__":
    main()
