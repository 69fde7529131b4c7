"""Shared helpers for the golden-fixture generators.

Every generator computes, with PyTorch on the CPU in float64 (then rounded to float32) or in
float32 where the kernel's semantics are float32, the outputs and gradients for fixed seeded
inputs, and writes `tests/golden/fixtures/<family>.json`:

  {"family": ..., "torch": version, "cases": [{"name": ..., "params": {...},
    "tensors": {"x": {"shape": [...], "f32": "<base64 little-endian float32>"}, ...}}]}

Tensors are float32 so the fixture is exactly what the f32 kernels consume.
"""
import base64
import json
import os

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")


def enc(t):
    """Encodes a tensor/array as {shape, f32 base64}."""
    if isinstance(t, torch.Tensor):
        t = t.detach().cpu().numpy()
    a = np.ascontiguousarray(np.asarray(t, dtype=np.float32))
    return {"shape": list(a.shape), "f32": base64.b64encode(a.astype("<f4").tobytes()).decode()}


def save(family, cases):
    """Writes fixtures/<family>.json; `cases` is a list of {name, params, tensors}."""
    os.makedirs(FIXTURES, exist_ok=True)
    out = {
        "family": family,
        "torch": torch.__version__,
        "cases": [
            {"name": c["name"], "params": c.get("params", {}),
             "tensors": {k: enc(v) for k, v in c["tensors"].items()}}
            for c in cases
        ],
    }
    path = os.path.join(FIXTURES, f"{family}.json")
    with open(path + ".tmp", "w") as f:
        json.dump(out, f, separators=(",", ":"))
    os.replace(path + ".tmp", path)
    print(f"wrote {path} ({len(cases)} cases)")


def rand(gen, *shape, scale=1.0):
    """Seeded float32 normal values (float32 so inputs are exactly representable)."""
    return (torch.randn(*shape, generator=gen, dtype=torch.float64) * scale).float()
