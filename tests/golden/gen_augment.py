"""Goldens for kernels/augment's CPU reference (kernels/augment/reference.ts).

Resampling uses torch's own antialiased kernels, exactly what torchvision's
`F.resized_crop(img_float, top, left, h, w, size, BICUBIC|BILINEAR, antialias=True)` calls
(crop, then `F.interpolate(..., antialias=True)`), clamped to [0, 1] as our pipeline
documents. The blur is torchvision's `gaussian_blur` tensor path (its 1-D kernel, reflect
padding, conv2d). The colour ops follow torchvision's `_functional_tensor` definitions
(torchvision itself is not installed here, so they are written out with torch ops).
Inputs are uint8 pixel values (stored as float32 integers), float64 throughout.
"""
import torch
import torch.nn.functional as F

from _common import save


def rgb_to_grayscale(img):
    r, g, b = img.unbind(dim=-3)
    return (0.2989 * r + 0.587 * g + 0.114 * b).unsqueeze(dim=-3)


def blend(img1, img2, ratio):
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, 1.0)


def adjust_brightness(img, f):
    return blend(img, torch.zeros_like(img), f)


def adjust_contrast(img, f):
    mean = torch.mean(rgb_to_grayscale(img), dim=(-3, -2, -1), keepdim=True)
    return blend(img, mean, f)


def adjust_saturation(img, f):
    return blend(img, rgb_to_grayscale(img), f)


def rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = torch.fmod((h / 6.0 + 1.0), 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6, device=i.device).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, f):
    hsv = rgb2hsv(img)
    h, s, v = hsv.unbind(dim=-3)
    h = (h + f) % 1.0
    return hsv2rgb(torch.stack((h, s, v), dim=-3))


def gaussian_blur(img, k, sigma):
    half = (k - 1) * 0.5
    x = torch.linspace(-half, half, steps=k, dtype=torch.float64)
    pdf = torch.exp(-0.5 * (x / sigma).pow(2))
    k1 = pdf / pdf.sum()
    k2 = torch.mm(k1[:, None], k1[None, :]).expand(img.shape[-3], 1, k, k)
    pad = [k // 2] * 4
    y = F.pad(img[None], pad, mode="reflect")
    return F.conv2d(y, k2, groups=img.shape[-3])[0]


def resized_crop(img, top, left, h, w, size, mode):
    crop = img[:, top:top + h, left:left + w]
    y = F.interpolate(crop[None], size=size, mode=mode, antialias=True, align_corners=False)
    return y[0].clamp(0, 1)


def main():
    g = torch.Generator().manual_seed(0)
    cases = []

    def image(h, w):
        return torch.randint(0, 256, (h, w, 3), generator=g, dtype=torch.int64).double()

    # (source h, w), crop box, output size, mode
    for (sh, sw), (t, l, h, w), size, mode in [
        ((13, 17), (2, 3, 9, 11), (20, 15), "bicubic"),  # upsampling
        ((26, 23), (1, 2, 24, 20), (7, 5), "bicubic"),  # downsampling (wide support)
        ((15, 13), (0, 0, 15, 13), (6, 19), "bicubic"),  # mixed
        ((19, 16), (3, 1, 15, 14), (6, 21), "bilinear"),
    ]:
        x = image(sh, sw)
        chw = x.permute(2, 0, 1) / 255.0
        y = resized_crop(chw, t, l, h, w, size, mode)
        cases.append({
            "name": f"resize_{mode}_{sh}x{sw}_to_{size[0]}x{size[1]}",
            "params": {"op": "resize", "box": [t, l, h, w], "size": list(size), "mode": mode},
            "tensors": {"x": x, "y": y},
        })

    for (sh, sw), k, sigma in [((11, 14), 5, 0.7), ((9, 12), 7, 1.9)]:
        x = image(sh, sw)
        y = gaussian_blur(x.permute(2, 0, 1) / 255.0, k, sigma)
        cases.append({
            "name": f"blur_{sh}x{sw}_k{k}",
            "params": {"op": "blur", "k": k, "sigma": sigma},
            "tensors": {"x": x, "y": y},
        })

    for op, fn, f in [
        ("brightness", adjust_brightness, 1.37),
        ("contrast", adjust_contrast, 0.63),
        ("saturation", adjust_saturation, 1.31),
        ("hue", adjust_hue, 0.087),
        ("hue", adjust_hue, -0.093),
    ]:
        x = image(7, 9)
        # a gray pixel and a pure red one exercise the hue branches' edges
        x[0, 0] = torch.tensor([90.0, 90.0, 90.0])
        x[0, 1] = torch.tensor([255.0, 0.0, 0.0])
        y = fn(x.permute(2, 0, 1) / 255.0, f)
        cases.append({
            "name": f"{op}_{f}",
            "params": {"op": op, "factor": f},
            "tensors": {"x": x, "y": y},
        })
    save("augment", cases)


if __name__ == "__main__":
    main()
