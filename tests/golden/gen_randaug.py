"""Goldens for BCL's RandAugment operations (kernels/augment/randaug_ref.ts): each of the 15
operations of the released BCL list applied by PIL to fixed 8-bit RGB images at fixed values,
exactly as the released data/randaug.py calls PIL, except that the random sign of the
geometric ops and Cutout's random centre are given instead of drawn:

  ShearX/Y      img.transform(size, AFFINE, (1, v, 0, 0, 1, 0) / (1, 0, 0, v, 1, 0))
  TranslateX/Y  img.transform(size, AFFINE, (1, 0, v*width, 0, 1, 0) / (1, 0, 0, 0, 1, v*height))
  Rotate        img.rotate(v)
  AutoContrast, Invert, Equalize   PIL.ImageOps, no arguments
  Solarize      ImageOps.solarize(img, v);  Posterize  ImageOps.posterize(img, max(1, int(v)))
  Contrast, Color, Brightness, Sharpness   ImageEnhance.<op>(img).enhance(v)
  Cutout        side s = v*width, centre (cx, cy) = numpy's uniform(width), uniform(height)
                (LOW = width: values in (1, width]), x0 = int(max(0, cx - s/2)),
                x1 = min(width, x0 + s) (y alike), ImageDraw.rectangle, fill (125, 123, 114)

Images are stored as uint8 ("u8" tensors, HWC as PIL holds them). Needs Pillow and numpy.
"""
import base64
import json
import os

import numpy as np
import PIL
from PIL import Image, ImageDraw, ImageEnhance, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures", "randaug.json")

OPS = ["ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "AutoContrast", "Invert",
       "Equalize", "Solarize", "Posterize", "Contrast", "Color", "Brightness", "Sharpness",
       "Cutout"]


def apply(img, op, v, cx=0.0, cy=0.0):
    w, h = img.size
    if op == "ShearX":
        return img.transform(img.size, Image.AFFINE, (1, v, 0, 0, 1, 0))
    if op == "ShearY":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, v, 1, 0))
    if op == "TranslateX":
        return img.transform(img.size, Image.AFFINE, (1, 0, v * w, 0, 1, 0))
    if op == "TranslateY":
        return img.transform(img.size, Image.AFFINE, (1, 0, 0, 0, 1, v * h))
    if op == "Rotate":
        return img.rotate(v)
    if op == "AutoContrast":
        return ImageOps.autocontrast(img)
    if op == "Invert":
        return ImageOps.invert(img)
    if op == "Equalize":
        return ImageOps.equalize(img)
    if op == "Solarize":
        return ImageOps.solarize(img, v)
    if op == "Posterize":
        return ImageOps.posterize(img, max(1, int(v)))
    if op in ("Contrast", "Color", "Brightness", "Sharpness"):
        return getattr(ImageEnhance, op)(img).enhance(v)
    if op == "Cutout":
        if v <= 0:
            return img
        s = v * w
        x0 = w + (1 - w) * cx
        y0 = h + (1 - h) * cy
        x0 = int(max(0, x0 - s / 2.0))
        y0 = int(max(0, y0 - s / 2.0))
        x1 = min(w, x0 + s)
        y1 = min(h, y0 + s)
        img = img.copy()
        ImageDraw.Draw(img).rectangle((x0, y0, x1, y1), (125, 123, 114))
        return img
    raise ValueError(op)


def images():
    rng = np.random.default_rng(21)
    yy, xx = np.mgrid[0:24, 0:24]
    smooth = np.stack([
        120 + 90 * np.sin(xx * 0.3 + yy * 0.2),
        110 + 80 * np.cos(xx * 0.17 - yy * 0.35),
        128 + 60 * np.sin((xx + yy) * 0.25),
    ], -1) + rng.integers(-25, 26, (24, 24, 3))
    noisy = rng.integers(0, 256, (13, 19, 3))
    # Narrow ranges: autocontrast's double-precision table (lo 0, hi 25 maps 25 to 254) and
    # equalize's small steps; channel 2 constant (nothing to stretch).
    narrow = np.stack([
        rng.integers(0, 26, (9, 11)),
        rng.integers(40, 91, (9, 11)),
        np.full((9, 11), 77),
    ], -1)
    return {"smooth": np.clip(smooth, 0, 255), "noisy": noisy, "narrow": narrow}


def values(op, rng):
    lo, hi = {"ShearX": (0, 0.6), "ShearY": (0, 0.6), "TranslateX": (0, 0.66),
              "TranslateY": (0, 0.66), "Rotate": (0, 60), "Solarize": (0, 110),
              "Posterize": (4, 8), "Cutout": (0, 0.4)}.get(op, (0.1, 1.9))
    if op in ("AutoContrast", "Invert", "Equalize"):
        return [0.0]
    vs = [hi, lo + (hi - lo) * rng.uniform(), lo + (hi - lo) * rng.uniform()]
    if op in ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"):
        vs += [-v for v in vs[:2]] + [0.0]
    if op == "Solarize":
        vs += [0.0, 37.0]
    if op in ("Contrast", "Color", "Brightness", "Sharpness"):
        vs += [lo, 1.0]
    return vs


def u8(a):
    a = np.ascontiguousarray(np.asarray(a, dtype=np.uint8))
    return {"shape": list(a.shape), "u8": base64.b64encode(a.tobytes()).decode()}


def main():
    rng = np.random.default_rng(5)
    ims = images()
    cases = []
    for name, arr in ims.items():
        img = Image.fromarray(arr.astype(np.uint8), "RGB")
        for op in OPS:
            for v in values(op, rng):
                cx, cy = (rng.uniform(), rng.uniform()) if op == "Cutout" else (0.0, 0.0)
                out = np.asarray(apply(img, op, v, cx, cy))
                cases.append({"image": name, "op": OPS.index(op), "name": op, "value": v,
                              "cx": cx, "cy": cy, "out": u8(out)})
    doc = {"family": "randaug", "pillow": PIL.__version__,
           "images": {name: u8(arr) for name, arr in ims.items()}, "cases": cases}
    with open(OUT + ".tmp", "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    os.replace(OUT + ".tmp", OUT)
    print(f"wrote {OUT} ({len(doc['cases'])} cases, Pillow {PIL.__version__})")


if __name__ == "__main__":
    main()
