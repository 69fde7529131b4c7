// Fused augmentation: one workgroup produces one view of one image, float32 NCHW in [0, 1].
//
// Input: ONE storage buffer `data` of u32 words holding, per dispatch,
//   [entry 0 … entry n-1 (PW words each)] … [uint8 images, 4 bytes per word, little endian]
// An entry says where its image is (word offset from p.img_base, H, W, C ∈ {1, 3}, HWC bytes)
// and which ops to apply. Per pixel, in torchvision's order:
//   1. crop (top, left, ch, cw) → antialiased resample to rh × rw (torch's *_aa kernels =
//      PIL's filters: Keys cubic a = −0.5 or triangle, support widened by the scale when
//      shrinking, weights normalised over in-image taps) → clamp to [0, 1]; the output window
//      starts at (oy, ox) of that virtual image and is zero outside it (RandomCrop padding,
//      CenterCrop padding); horizontal flip of the window.
//   2. ColorJitter ops in the drawn order (torchvision's tensor functional definitions), then
//      grayscale. Contrast needs the mean luma of the WHOLE image at its point in the order,
//      so the ops before it run in pass 1, a workgroup reduction gives the mean, the rest run
//      in pass 2 (each invocation re-reads only the pixels it wrote: no barrier needed).
//   3. (BLUR) separable Gaussian blur with reflect padding: rows out → scratch, columns
//      scratch → out, storage barriers between (the workgroup owns the whole image).
// Workgroup barriers sit in uniform control flow: every invocation reaches every one.

struct Params {
  first: u32,     // first entry of this dispatch
  img_base: u32,  // word offset of the image section in `data`
  out_h: u32,
  out_w: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> data: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#if ${BLUR}
@group(0) @binding(3) var<storage, read_write> scratch: array<f32>;
#endif

const WG: u32 = 256u;
const MAX_TAPS: u32 = ${MAX_TAPS}u;
const MAX_KSIZE: u32 = 64u;

// Entry layout (words); keep in sync with kernels/augment/mod.ts.
const PW: u32 = 24u;
const E_SRC: u32 = 0u;
const E_H: u32 = 1u;
const E_W: u32 = 2u;
const E_C: u32 = 3u;
const E_TOP: u32 = 4u;
const E_LEFT: u32 = 5u;
const E_CH: u32 = 6u;
const E_CW: u32 = 7u;
const E_RH: u32 = 8u;
const E_RW: u32 = 9u;
const E_OY: u32 = 10u;
const E_OX: u32 = 11u;
const E_FLAGS: u32 = 12u;
const E_ORDER: u32 = 13u;
const E_BRIGHT: u32 = 14u;
const E_CONTRAST: u32 = 15u;
const E_SAT: u32 = 16u;
const E_HUE: u32 = 17u;
const E_SIGMA: u32 = 18u;
const E_KSIZE: u32 = 19u;
const E_SLOT: u32 = 20u;

const F_FLIP: u32 = 1u;
const F_JITTER: u32 = 2u;
const F_GRAY: u32 = 4u;
const F_BLUR: u32 = 8u;
const F_BILINEAR: u32 = 16u;

var<workgroup> red: array<f32, 256>;
#if ${BLUR}
var<workgroup> gk: array<f32, 64>;
#endif

fn word(e: u32, k: u32) -> u32 {
  return data[e + k];
}

fn wordf(e: u32, k: u32) -> f32 {
  return bitcast<f32>(data[e + k]);
}

// Keys cubic convolution with a = −0.5 (PIL / torch antialias).
fn cubic(x: f32) -> f32 {
  let t = abs(x);
  if (t < 1.0) {
    return (1.5 * t - 2.5) * t * t + 1.0;
  }
  if (t < 2.0) {
    return ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0;
  }
  return 0.0;
}

fn tri(x: f32) -> f32 {
  return max(1.0 - abs(x), 0.0);
}

fn filt(x: f32, bilinear: bool) -> f32 {
  if (bilinear) {
    return tri(x);
  }
  return cubic(x);
}

// RGB (0..255 as floats) of source pixel (y, x); 1-channel sources are repeated.
fn pixel(src: u32, w: u32, c: u32, y: i32, x: i32) -> vec3f {
  let b = (u32(y) * w + u32(x)) * c;
  let wi = p.img_base + src + (b >> 2u);
  let sh = (b & 3u) * 8u;
  if (c == 1u) {
    return vec3f(f32((data[wi] >> sh) & 255u));
  }
  // 3 bytes may straddle two words; the image section ends with a pad word.
  let lo = data[wi] >> sh;
  let hi = select(data[wi + 1u] << (32u - sh), 0u, sh == 0u);
  let v = lo | hi;
  return vec3f(f32(v & 255u), f32((v >> 8u) & 255u), f32((v >> 16u) & 255u));
}

// The resampled crop at virtual pixel (vy, vx), clamped to [0, 1]; zero outside the image.
fn sample_at(e: u32, vy: i32, vx: i32) -> vec3f {
  let rh = i32(word(e, E_RH));
  let rw = i32(word(e, E_RW));
  if (vy < 0 || vx < 0 || vy >= rh || vx >= rw) {
    return vec3f(0.0);
  }
  let src = word(e, E_SRC);
  let w = word(e, E_W);
  let c = word(e, E_C);
  let top = i32(word(e, E_TOP));
  let left = i32(word(e, E_LEFT));
  let ch = i32(word(e, E_CH));
  let cw = i32(word(e, E_CW));
  if (ch == rh && cw == rw) {
    // Scale 1: the antialiased filter is exactly the identity.
    return pixel(src, w, c, top + vy, left + vx) / 255.0;
  }
  let bilinear = (word(e, E_FLAGS) & F_BILINEAR) != 0u;
  let half_support = select(2.0, 1.0, bilinear);

  let sx = f32(cw) / f32(rw);
  let supx = select(half_support, half_support * sx, sx >= 1.0);
  let invx = select(1.0, 1.0 / sx, sx >= 1.0);
  let cx = sx * (f32(vx) + 0.5);
  let x0 = max(i32(cx - supx + 0.5), 0);
  let x1 = min(min(i32(cx + supx + 0.5), cw), x0 + i32(MAX_TAPS));
  var wx: array<f32, MAX_TAPS>;
  var tx = 0.0;
  for (var j = x0; j < x1; j++) {
    let f = filt((f32(j) - cx + 0.5) * invx, bilinear);
    wx[j - x0] = f;
    tx += f;
  }

  let sy = f32(ch) / f32(rh);
  let supy = select(half_support, half_support * sy, sy >= 1.0);
  let invy = select(1.0, 1.0 / sy, sy >= 1.0);
  let cy = sy * (f32(vy) + 0.5);
  let y0 = max(i32(cy - supy + 0.5), 0);
  let y1 = min(min(i32(cy + supy + 0.5), ch), y0 + i32(MAX_TAPS));

  var acc = vec3f(0.0);
  var ty = 0.0;
  for (var i = y0; i < y1; i++) {
    let fy = filt((f32(i) - cy + 0.5) * invy, bilinear);
    ty += fy;
    var row = vec3f(0.0);
    for (var j = x0; j < x1; j++) {
      row += wx[j - x0] * pixel(src, w, c, top + i, left + j);
    }
    acc += fy * row;
  }
  let norm = select(1.0, tx * ty, tx * ty != 0.0);
  return clamp(acc / (norm * 255.0), vec3f(0.0), vec3f(1.0));
}

// torchvision rgb_to_grayscale weights.
fn luma(v: vec3f) -> f32 {
  return 0.2989 * v.x + 0.587 * v.y + 0.114 * v.z;
}

fn blend(a: vec3f, b: vec3f, r: f32) -> vec3f {
  return clamp(r * a + (1.0 - r) * b, vec3f(0.0), vec3f(1.0));
}

// torchvision _rgb2hsv → h += factor (mod 1) → _hsv2rgb.
fn adjust_hue(v: vec3f, factor: f32) -> vec3f {
  let maxc = max(max(v.x, v.y), v.z);
  let minc = min(min(v.x, v.y), v.z);
  let eqc = maxc == minc;
  let cr = maxc - minc;
  let s = cr / select(maxc, 1.0, eqc);
  let crd = select(cr, 1.0, eqc);
  let rc = (maxc - v.x) / crd;
  let gc = (maxc - v.y) / crd;
  let bc = (maxc - v.z) / crd;
  var h: f32;
  if (maxc == v.x) {
    h = bc - gc;
  } else if (maxc == v.y) {
    h = 2.0 + rc - bc;
  } else {
    h = 4.0 + gc - rc;
  }
  h = fract(h / 6.0 + 1.0);
  h = h + factor;
  h = h - floor(h);
  let i6 = floor(h * 6.0);
  let f = h * 6.0 - i6;
  let i = u32(i6) % 6u;
  let val = maxc;
  let pp = clamp(val * (1.0 - s), 0.0, 1.0);
  let q = clamp(val * (1.0 - s * f), 0.0, 1.0);
  let t = clamp(val * (1.0 - s * (1.0 - f)), 0.0, 1.0);
  switch (i) {
    case 0u: { return vec3f(val, t, pp); }
    case 1u: { return vec3f(q, val, pp); }
    case 2u: { return vec3f(pp, val, t); }
    case 3u: { return vec3f(pp, q, val); }
    case 4u: { return vec3f(t, pp, val); }
    default: { return vec3f(val, pp, q); }
  }
}

// One per-pixel jitter op (0 brightness, 2 saturation, 3 hue; contrast is handled apart).
fn color_op(e: u32, op: u32, v: vec3f) -> vec3f {
  if (op == 0u) {
    return blend(v, vec3f(0.0), wordf(e, E_BRIGHT));
  }
  if (op == 2u) {
    return blend(v, vec3f(luma(v)), wordf(e, E_SAT));
  }
  if (op == 3u) {
    return adjust_hue(v, wordf(e, E_HUE));
  }
  return v;
}

fn store(base: u32, i: u32, plane: u32, v: vec3f) {
  out[base + i] = v.x;
  out[base + plane + i] = v.y;
  out[base + 2u * plane + i] = v.z;
}

fn load(base: u32, i: u32, plane: u32) -> vec3f {
  return vec3f(out[base + i], out[base + plane + i], out[base + 2u * plane + i]);
}

// torch "reflect" padding index (mirrored without repeating the edge), folded for any offset.
fn reflect(i: i32, n: i32) -> i32 {
  if (n == 1) {
    return 0;
  }
  let period = 2 * (n - 1);
  var m = abs(i) % period;
  if (m >= n) {
    m = period - m;
  }
  return m;
}

@compute @workgroup_size(256)
fn augment(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let e = (p.first + wg.x) * PW;
  let oh = p.out_h;
  let ow = p.out_w;
  let plane = oh * ow;
  let flags = word(e, E_FLAGS);
  let base = word(e, E_SLOT) * 3u * plane;
  let flip = (flags & F_FLIP) != 0u;
  let oy = i32(word(e, E_OY));
  let ox = i32(word(e, E_OX));

#if ${COLOR}
  let jitter = (flags & F_JITTER) != 0u;
  let order = word(e, E_ORDER);
  // Position of contrast in the drawn order; 4 = not applied (or no jitter at all).
  var cpos = 4u;
  if (jitter) {
    for (var q = 0u; q < 4u; q++) {
      if (((order >> (2u * q)) & 3u) == 1u) {
        cpos = q;
      }
    }
  }
  // Ops applied in pass 1: those before contrast (all four when contrast is absent).
  let n1 = select(0u, cpos, jitter);
  var part = 0.0;
#endif

  for (var i = lid; i < plane; i += WG) {
    let y = i / ow;
    let x = i % ow;
    let xs = select(x, ow - 1u - x, flip);
    var v = sample_at(e, i32(y) + oy, i32(xs) + ox);
#if ${COLOR}
    for (var q = 0u; q < n1; q++) {
      v = color_op(e, (order >> (2u * q)) & 3u, v);
    }
    part += luma(v);
#endif
    store(base, i, plane, v);
  }

#if ${COLOR}
  red[lid] = part;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      red[lid] += red[lid + s];
    }
    workgroupBarrier();
  }
  let mean = red[0] / f32(plane);
  let gray = (flags & F_GRAY) != 0u;
  if (cpos < 4u || gray) {
    let cf = wordf(e, E_CONTRAST);
    for (var i = lid; i < plane; i += WG) {
      var v = load(base, i, plane);
      if (cpos < 4u) {
        v = blend(v, vec3f(mean), cf);
        for (var q = cpos + 1u; q < 4u; q++) {
          v = color_op(e, (order >> (2u * q)) & 3u, v);
        }
      }
      if (gray) {
        v = vec3f(luma(v));
      }
      store(base, i, plane, v);
    }
  }
#endif

#if ${BLUR}
  let blur = (flags & F_BLUR) != 0u;
  let k = min(word(e, E_KSIZE), MAX_KSIZE);
  let half = i32(k / 2u);
  if (lid == 0u && blur) {
    // torchvision _get_gaussian_kernel1d: x = linspace(−(k−1)/2, (k−1)/2, k).
    let sigma = wordf(e, E_SIGMA);
    var total = 0.0;
    for (var t = 0u; t < k; t++) {
      let xk = f32(t) - 0.5 * f32(k - 1u);
      let g = exp(-0.5 * (xk / sigma) * (xk / sigma));
      gk[t] = g;
      total += g;
    }
    for (var t = 0u; t < k; t++) {
      gk[t] = gk[t] / total;
    }
  }
  storageBarrier();
  workgroupBarrier();
  let sbase = wg.x * 3u * plane;
  if (blur) {
    for (var i = lid; i < plane; i += WG) {
      let y = i / ow;
      let x = i32(i % ow);
      var acc = vec3f(0.0);
      for (var t = 0u; t < k; t++) {
        let xx = u32(reflect(x + i32(t) - half, i32(ow)));
        acc += gk[t] * load(base, y * ow + xx, plane);
      }
      scratch[sbase + i] = acc.x;
      scratch[sbase + plane + i] = acc.y;
      scratch[sbase + 2u * plane + i] = acc.z;
    }
  }
  storageBarrier();
  workgroupBarrier();
  if (blur) {
    for (var i = lid; i < plane; i += WG) {
      let y = i32(i / ow);
      let x = i % ow;
      var acc = vec3f(0.0);
      for (var t = 0u; t < k; t++) {
        let j = u32(reflect(y + i32(t) - half, i32(oh))) * ow + x;
        acc += gk[t] * vec3f(scratch[sbase + j], scratch[sbase + plane + j],
          scratch[sbase + 2u * plane + j]);
      }
      store(base, i, plane, acc);
    }
  }
#endif
}
