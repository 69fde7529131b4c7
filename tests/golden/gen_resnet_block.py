"""Golden for the composed check: a tiny ResNet block (conv-BN-ReLU-conv-BN + downsample (1x1
conv stride 2 + BN) + add + ReLU), global average pool, linear, NT-Xent over the two halves of
the batch. Forward loss and every parameter gradient, BN in train mode, in float64."""
import torch
import torch.nn.functional as F

from _common import rand, save


def ntxent(z1, z2, t):
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    s = u @ u.t() / t
    n = z1.shape[0]
    s = s.masked_fill(torch.eye(2 * n, dtype=torch.bool), float("-inf"))
    pos = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)])
    return F.cross_entropy(s, pos)


def main():
    g = torch.Generator().manual_seed(7)
    n, c, h, o, d = 6, 3, 9, 5, 7
    t = {
        "x": rand(g, n, c, h, h),
        "w1": rand(g, o, c, 3, 3, scale=0.4),
        "g1": 1 + rand(g, o, scale=0.1), "b1": rand(g, o, scale=0.1),
        "w2": rand(g, o, o, 3, 3, scale=0.3),
        "g2": 1 + rand(g, o, scale=0.1), "b2": rand(g, o, scale=0.1),
        "wd": rand(g, o, c, 1, 1, scale=0.5),
        "gd": 1 + rand(g, o, scale=0.1), "bd": rand(g, o, scale=0.1),
        "wl": rand(g, d, o, scale=0.5), "bl": rand(g, d, scale=0.1),
    }
    p = {k: v.double().requires_grad_(k != "x") for k, v in t.items()}

    def bn(x, gamma, beta):
        return F.batch_norm(x, None, None, gamma, beta, training=True, eps=1e-5)

    y = F.relu(bn(F.conv2d(p["x"], p["w1"], stride=2, padding=1), p["g1"], p["b1"]))
    y = bn(F.conv2d(y, p["w2"], stride=1, padding=1), p["g2"], p["b2"])
    sc = bn(F.conv2d(p["x"], p["wd"], stride=2), p["gd"], p["bd"])
    y = F.relu(y + sc)
    z = F.linear(y.mean(dim=(2, 3)), p["wl"], p["bl"])
    loss = ntxent(z[: n // 2], z[n // 2:], 0.5)
    loss.backward()
    tensors = dict(t)
    tensors["loss"] = loss.detach().reshape(1)
    for k, v in p.items():
        if k != "x":
            tensors[f"grad_{k}"] = v.grad
    save("resnet_block", [{"name": "block_s2_n6", "params": {"t": 0.5}, "tensors": tensors}])


if __name__ == "__main__":
    main()
