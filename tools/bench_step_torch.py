"""PyTorch CPU training steps for `deno task bench --step` (src/bench/step_bench.ts).

The same step as the suite's (spec §5): a ResNet (CIFAR stem) with dual BN and the 3-layer
head for SDCLR, single BN and the 2-layer head for SimCLR, the pruned branch at 90%, NT-Xent
at t = 0.2, SGD momentum 0.9, weight decay 1e-4, float32, PyTorch's default thread count. The
model is tests/golden/gen_sdclr_steps.py's independent implementation of the spec (the one the
step goldens come from).

With `loader`, each step's views come from a DataLoader (2 workers, as many as the cores
here) running the spec's CIFAR augmentation per image on uint8 tensors: RandomResizedCrop
(scale 0.1–1, bicubic, antialiased), horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1) with
p 0.8 in a random order, grayscale with p 0.2 — written with torch tensor ops, since no
torchvision build matching this torch is installed here.

Protocol (one process per configuration, so that trials of ours and of PyTorch can alternate
while both models stay built): the first line on stdin is the config as JSON ({method, depth,
width, batch, size, loader, warmup}); the script builds the model, runs the warm-up steps and
prints "ready". Each further line is a number N: it runs N steps and prints their mean seconds
per step. End of input ends it. Exit code 3 (message on stderr) when torch is missing.
"""
import json
import math
import os
import random
import sys
import time

try:
    import torch
    import torch.nn.functional as F
except ImportError:
    sys.stderr.write("python3 has no torch module (pip install torch)\n")
    sys.exit(3)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "golden"))
from gen_sdclr_steps import Net, nt_xent, prune  # noqa: E402


def rgb_to_gray(x):
    return (0.299 * x[0] + 0.587 * x[1] + 0.114 * x[2]).unsqueeze(0)


def adjust_hue(x, h):
    # RGB → HSV → shift hue → RGB, as torchvision's tensor implementation.
    r, g, b = x
    maxc, _ = x.max(0)
    minc, _ = x.min(0)
    v = maxc
    cr = maxc - minc
    s = cr / torch.where(maxc == 0, torch.ones_like(maxc), maxc)
    crd = torch.where(cr == 0, torch.ones_like(cr), cr)
    rc, gc, bc = (maxc - r) / crd, (maxc - g) / crd, (maxc - b) / crd
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    hh = ((hr + hg + hb) / 6.0 + 1.0) % 1.0
    hh = (hh + h) % 1.0
    i = torch.floor(hh * 6.0)
    f = hh * 6.0 - i
    i = i.to(torch.int32) % 6
    p = (v * (1 - s)).clamp(0, 1)
    q = (v * (1 - s * f)).clamp(0, 1)
    t = (v * (1 - s * (1 - f))).clamp(0, 1)
    mask = i.unsqueeze(0) == torch.arange(6).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v))
    a2 = torch.stack((t, v, v, q, p, p))
    a3 = torch.stack((p, p, t, v, v, q))
    a4 = torch.stack((a1, a2, a3))
    return torch.einsum("ijk,xijk->xjk", mask.to(x.dtype), a4)


def augment(img, size):
    """One view of a uint8 CHW image, the spec's CIFAR recipe."""
    _, h, w = img.shape
    area = h * w
    for _ in range(10):
        ta = area * random.uniform(0.1, 1.0)
        ar = math.exp(random.uniform(math.log(3 / 4), math.log(4 / 3)))
        cw, ch = round(math.sqrt(ta * ar)), round(math.sqrt(ta / ar))
        if 0 < cw <= w and 0 < ch <= h:
            top, left = random.randint(0, h - ch), random.randint(0, w - cw)
            break
    else:
        ch, cw, top, left = h, w, 0, 0
    x = img[:, top:top + ch, left:left + cw].float().unsqueeze(0) / 255
    x = F.interpolate(x, size=(size, size), mode="bicubic", antialias=True,
                      align_corners=False)[0].clamp(0, 1)
    if random.random() < 0.5:
        x = x.flip(2)
    if random.random() < 0.8:
        for op in random.sample(range(4), 4):
            if op == 0:
                x = (x * random.uniform(0.6, 1.4)).clamp(0, 1)
            elif op == 1:
                m = rgb_to_gray(x).mean()
                x = (random.uniform(0.6, 1.4) * x + (1 - random.uniform(0.6, 1.4)) * m).clamp(0, 1)
            elif op == 2:
                f = random.uniform(0.6, 1.4)
                x = (f * x + (1 - f) * rgb_to_gray(x)).clamp(0, 1)
            else:
                x = adjust_hue(x, random.uniform(-0.1, 0.1))
    if random.random() < 0.2:
        x = rgb_to_gray(x).expand(3, -1, -1)
    return x


class Views(torch.utils.data.Dataset):
    def __init__(self, n, size):
        g = torch.Generator().manual_seed(0)
        self.images = torch.randint(0, 256, (n, 3, size, size), generator=g, dtype=torch.uint8)
        self.size = size

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        return augment(self.images[i], self.size), augment(self.images[i], self.size)


def build(cfg):
    """The config's model, optimizer and inputs; returns a function running one step."""
    torch.manual_seed(0)
    sdclr = cfg["method"] == "sdclr"
    model = Net(cfg["depth"], cfg["width"], sdclr, 3 if sdclr else 2).train()
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    if sdclr:
        prune(model, 0.9)
    b, size = cfg["batch"], cfg["size"]
    if cfg["loader"]:
        data = torch.utils.data.DataLoader(Views(4 * b, size), batch_size=b, shuffle=True,
                                           num_workers=2, drop_last=True,
                                           persistent_workers=True)
        def batches():
            while True:
                yield from data
        it = batches()
    else:
        g = torch.Generator().manual_seed(1)
        fixed = (torch.rand(b, 3, size, size, generator=g), torch.rand(b, 3, size, size, generator=g))
        it = iter(lambda: fixed, None)

    def step():
        x1, x2 = next(it)
        opt.zero_grad()
        if sdclr:
            with torch.no_grad():
                f2 = model(x2, "pruned")
            f1 = model(x1, "dense")
            nt_xent(f1, f2.detach(), 0.2).backward()
            nt_xent(f1.detach(), model(x2, "pruned"), 0.2).backward()
        else:
            f = model(torch.cat([x1, x2]))
            nt_xent(f[:b], f[b:], 0.2).backward()
        opt.step()

    return step


def main():
    cfg = json.loads(sys.stdin.readline())
    step = build(cfg)
    for _ in range(cfg.get("warmup", 1)):
        step()
    print("ready", flush=True)
    for line in sys.stdin:
        n = int(line)
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        print((time.perf_counter() - t0) / n, flush=True)


if __name__ == "__main__":
    main()
