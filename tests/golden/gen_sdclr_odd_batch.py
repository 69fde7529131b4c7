"""Golden for an epoch's last, partial batch: one SDCLR step on 7 images against PyTorch.

The authors' pretraining loader has no drop_last, so an epoch of N images at batch B has
ceil(N / B) iterations and the last one is smaller. This case is the last iteration of the
first epoch of N = 31 images at batch 12 (batches 12, 12, 7): from the step goldens' SDCLR
init (gen_sdclr_steps.py, seed 7: the same weights as sdclr_init.pt), pruned as at the epoch's
start, one SDCLR step on 7 fixed view pairs (NT-Xent over 14 rows, BN statistics over 7 images
per branch) at the learning rate of global iteration 2 with 3 iterations per epoch (the
schedule counts the partial batch). float64 here; the state after the step is saved float32.

Fixtures: tests/golden/fixtures/sdclr_odd_batch.json and sdclr_steps/sdclr_odd7_step.pt.
"""
import math
import os

import torch

from _common import FIXTURES, save
from gen_sdclr_steps import CFG, Net, f32_state, lr_factor, nt_xent, prune

OUT = os.path.join(FIXTURES, "sdclr_steps")
ODD = {"images": 31, "batch": 12, "iteration": 2, "epochs": 3, "warmup_epochs": 2}


def main():
    torch.set_num_threads(1)
    c = CFG
    ipe = math.ceil(ODD["images"] / ODD["batch"])
    last = ODD["images"] - (ipe - 1) * ODD["batch"]
    assert ipe == 3 and last == 7
    g = torch.Generator().manual_seed(4321)
    x1 = torch.rand(last, 3, c["size"], c["size"], generator=g)
    x2 = torch.rand(last, 3, c["size"], c["size"], generator=g)
    torch.manual_seed(7)  # as gen_sdclr_steps.py builds the SDCLR init
    net = Net(c["depth"], c["width"], True, 3)
    init = f32_state(net)
    net.double().train()
    prune(net, c["prune"])
    opt = torch.optim.SGD(net.parameters(), lr=c["lr"], momentum=c["momentum"],
                          weight_decay=c["weight_decay"])
    # LambdaLR stepped before each iteration, as the authors' loop: iteration i trains with
    # the factor at i + 1, counting ceil(N / B) iterations per epoch.
    s = ODD["iteration"] + 1
    lr = c["lr"] * lr_factor(s, ODD["epochs"] * ipe, ODD["warmup_epochs"] * ipe,
                             c["min_lr"] / c["lr"])
    for group in opt.param_groups:
        group["lr"] = lr
    t = c["temperature"]
    x1d, x2d = x1.double(), x2.double()
    opt.zero_grad()
    with torch.no_grad():
        f2 = net(x2d, "pruned")
    f1 = net(x1d, "dense")
    loss = nt_xent(f1, f2.detach(), t)
    loss.backward()
    f2p = net(x2d, "pruned")
    nt_xent(f1.detach(), f2p, t).backward()
    opt.step()
    torch.save(f32_state(net), os.path.join(OUT, "sdclr_odd7_step.pt"))
    keep = ("size", "lr", "temperature", "prune", "min_lr", "momentum", "weight_decay")
    params = {"config": {**{k: c[k] for k in keep}, **ODD, "iters_per_epoch": ipe,
                         "last_batch": last}, "init": "sdclr_init.pt"}
    assert all(torch.equal(init[k], v) for k, v in torch.load(
        os.path.join(OUT, "sdclr_init.pt")).items()), "init differs from sdclr_init.pt"
    save("sdclr_odd_batch", [{"name": "sdclr_odd_batch", "params": params, "tensors": {
        "x1": x1, "x2": x2, "loss": torch.tensor([loss.item()]), "lr": torch.tensor([lr])}}])


if __name__ == "__main__":
    main()
