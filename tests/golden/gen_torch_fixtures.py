"""Generates the PyTorch checkpoint fixtures for tests/io/torch_*_test.ts (PyTorch 2.13 CPU).

Run from the repo root:  python3 tests/golden/gen_torch_fixtures.py
It writes tiny checkpoints in every layout the reader must handle plus `expected.json`, which
describes every value (tensors as their raw little-endian bytes in hex) in a tagged encoding
that the Deno tests reproduce from what they load. Then, when the files written by OUR writer
exist (made by `REGEN_FIXTURES=1 deno test -A tests/io/torch_writer_test.ts`), it loads them
with `torch.load(..., weights_only=True)` and records what PyTorch saw in `ours_torch.json`.
"""

import collections
import json
import os
import struct
import sys
import zipfile

import numpy as np
import torch
from torch import nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "torch")


def tensor_hex(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        raw = t.view(torch.int16).numpy().tobytes()
    elif t.dtype == torch.bool:
        raw = t.to(torch.uint8).numpy().tobytes()
    else:
        raw = t.numpy().tobytes()
    return raw.hex()


def enc(v):
    """Tagged, exact JSON encoding of a loaded value (mirrored by encodeValue in the tests)."""
    if isinstance(v, torch.Tensor):
        out = {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape), "hex": tensor_hex(v)}
        if v.dtype in (torch.float16, torch.bfloat16):
            out["f32hex"] = tensor_hex(v.float())
        return {"tensor": out}
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return {"bool": bool(v)}
    if isinstance(v, (int, np.integer)):
        return {"int": str(int(v))}
    if isinstance(v, (float, np.floating)):
        return {"float": struct.pack("<d", float(v)).hex()}
    if isinstance(v, str):
        return {"str": v}
    if isinstance(v, bytes):
        return {"bytes": v.hex()}
    if isinstance(v, (list, tuple)):
        return {"list": [enc(x) for x in v]}
    if isinstance(v, dict):
        out = {"dict": [[enc(k), enc(x)] for k, x in v.items()], "ordered": isinstance(v, collections.OrderedDict)}
        meta = getattr(v, "_metadata", None)
        if meta is not None:
            out["metadata"] = enc(meta)
        return out
    raise TypeError(f"cannot encode {type(v)}")


class DualBN(nn.Module):
    """The authors' dual BatchNorm: bn_list[0] for the dense branch, bn_list[1] for the pruned."""

    def __init__(self, c):
        super().__init__()
        self.bn_list = nn.ModuleList([nn.BatchNorm2d(c), nn.BatchNorm2d(c)])


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = DualBN(c)


class Head(nn.Module):
    def __init__(self, c, h, o):
        super().__init__()
        self.fc1 = nn.Linear(c, h)
        self.fc2 = nn.Linear(h, o, bias=False)


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 2, 3, padding=1, bias=False)
        self.bn1 = DualBN(2)
        self.layer1 = nn.Sequential(Block(2))
        self.fc = Head(2, 3, 2)


def tiny_model():
    """A tiny model in the authors' key layout, after one SGD step so momentum exists."""
    torch.manual_seed(0)
    net = TinyNet()
    with torch.no_grad():
        for name, buf in net.named_buffers():
            if name.endswith("num_batches_tracked"):
                buf.fill_(7)
            else:
                buf.copy_(torch.rand_like(buf) + 0.5)
        for p in net.parameters():
            p.add_(torch.randn_like(p) * 0.01)
    net.layer1[0].bn1.bn_list[1].num_batches_tracked.fill_(2**40 + 3)
    # Two parameters are enough to exercise the optimizer layout (int keys, param_groups).
    params = [net.conv1.weight, net.fc.fc1.bias]
    opt = torch.optim.SGD(params, lr=0.5, momentum=0.9, weight_decay=1e-4)
    for p in params:
        p.grad = torch.ones_like(p)
    opt.step()
    # DataParallel on CPU just wraps the module: keys gain the authors' "module." prefix.
    return nn.DataParallel(net).state_dict(), opt


def save(obj, name, **kw):
    torch.save(obj, os.path.join(OUT, name), **kw)


def rezip_deflated(src, dst):
    with zipfile.ZipFile(os.path.join(OUT, src)) as zin, zipfile.ZipFile(
        os.path.join(OUT, dst), "w", zipfile.ZIP_DEFLATED
    ) as zout:
        for info in zin.infolist():
            # A fixed timestamp keeps the regenerated file byte-identical.
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zout.writestr(member, zin.read(info.filename), zipfile.ZIP_DEFLATED)


class Evil:
    """Pickles to a call of os.system: the reader must refuse it without running anything."""

    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def generate():
    os.makedirs(OUT, exist_ok=True)
    sd, opt = tiny_model()
    expected = {}

    save(sd, "sd_zip.pt")
    save(sd, "sd_legacy.pt", _use_new_zipfile_serialization=False)
    expected["sd"] = enc(sd)

    wrapped = {"state_dict": sd, "epoch": 3, "optim": opt.state_dict()}
    save(wrapped, "wrapped.pt")
    # The state_dict inside is the same as expected["sd"]; the tests check it against that.
    expected["wrapped_rest"] = enc({k: v for k, v in wrapped.items() if k != "state_dict"})

    base = torch.arange(24, dtype=torch.float32) * 0.25 - 1.0
    view = base[3:15].view(3, 4).t()  # offset 3, strides (1, 4)
    save(view, "view_direct.pt")
    expected["view_direct"] = enc(view)

    shared = {
        "base": base,
        "t": view,
        "slice": base[5:9],
        "expand": base[:3].expand(2, 3),  # stride 0
        "step": base[::5],
        "idx": torch.arange(10)[2:8].view(2, 3),
    }
    save(shared, "views_legacy.pt", _use_new_zipfile_serialization=False)
    expected["views"] = enc(shared)

    misc = {
        "f64": torch.tensor([1.0 / 3, -2.5e300], dtype=torch.float64),
        "i32": torch.tensor([[-(2**31), 7]], dtype=torch.int32),
        "u8": torch.tensor([0, 200, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "f16": torch.tensor([0.1, -65504.0, 6e-8, 1.0], dtype=torch.float16),
        "bf16": torch.tensor([0.1, -3.0e38, 1.0], dtype=torch.bfloat16),
        "i64": torch.tensor([2**62 + 1, -(2**63)], dtype=torch.int64),
        "scalar": torch.tensor(2.5),
        "empty": torch.zeros(0, 3),
        "ints": [0, 255, 256, 65535, 65536, -1, 2**31, -(2**31) - 1, 2**63, -(2**70)],
        "floats": (0.1, -0.0, 1e-310, 1.0),
        "np": [np.float64(0.75), np.int64(-12)],
        "bytes": b"\x00\xffab",
        "text": "µ→ ok",
        1: {"nested": None, "t": True},
    }
    save(misc, "misc_p4.pt", pickle_protocol=4)
    expected["misc"] = enc(misc)

    rezip_deflated("sd_zip.pt", "sd_deflated.pt")
    assert torch.load(os.path.join(OUT, "sd_deflated.pt"), weights_only=True).keys() == sd.keys()

    save({"payload": Evil()}, "evil.pt")

    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))


def verify_ours():
    out = {}
    for name in ("ours_written.pt", "ours_checkpoint.pt"):
        path = os.path.join(OUT, name)
        if not os.path.exists(path):
            print(f"{name} not written yet: run REGEN_FIXTURES=1 deno test -A tests/io/torch_writer_test.ts")
            return
        out[name] = enc(torch.load(path, weights_only=True))
        print(f"torch.load({name}, weights_only=True): ok")
    with open(os.path.join(OUT, "ours_torch.json"), "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    if "--verify-only" not in sys.argv:
        generate()
    verify_ours()
