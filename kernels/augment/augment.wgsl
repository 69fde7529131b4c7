// Fused augmentation: one workgroup produces one view of one image, float32 NCHW in [0, 1].
//
// Input: ONE storage buffer `data` of u32 words holding, per dispatch,
//   [entry 0 … entry n-1 (PW words each)] … [uint8 images, 4 bytes per word, little endian]
// An entry says where its image is (word offset from p.img_base, H, W, C ∈ {1, 3}, HWC bytes)
// and which ops to apply. Per pixel, in torchvision's order:
//   1. crop (top, left, ch, cw) → antialiased resample to rh × rw (torch's *_aa kernels =
//      PIL's filters: Keys cubic a = −0.5 or triangle, support widened by the scale when
//      shrinking, weights normalised over in-image taps; small crops go through workgroup
//      memory, separably, large ones are sampled in 2-D) → clamp to [0, 1]; the output window
//      starts at (oy, ox) of that virtual image and is zero outside it (RandomCrop padding,
//      CenterCrop padding); horizontal flip of the window.
//   2. ColorJitter ops in the drawn order (torchvision's tensor functional definitions), then
//      grayscale. Contrast needs the mean luma of the WHOLE image at its point in the order,
//      so the ops before it run in pass 1, a workgroup reduction gives the mean, the rest run
//      in pass 2 (each invocation re-reads only the pixels it wrote: no barrier needed).
//   3. (BLUR) separable Gaussian blur with reflect padding: rows out → scratch, columns
//      scratch → out, storage barriers between (the workgroup owns the whole image).
//   4. (RANDAUG) BCL's RandAugment fused in (randaug_stage.wgsl): the entry's E_BOOST word is
//      its boost record + 1 (0: none), the record's ops run on the view in `out`, with
//      scratch as the second image the resampling ops write.
// Workgroup barriers sit in uniform control flow: every invocation reaches every one.

// Params, bindings and the entry layout constants (PW words per entry, E_* word offsets,
// F_* flag bits) are generated from the spec AUGMENT in mod.ts, which packs the entries.

const WG: u32 = 256u;
const MAX_TAPS: u32 = ${MAX_TAPS}u;
const MAX_KSIZE: u32 = 64u;

// Crops up to STAGE pixels are resampled through workgroup memory: the crop as floats
// (stage), then its row pass (tmp, ch × rw), then each output pixel's column pass. STAGE is
// sized by the launcher from the device's workgroup storage limit.
const STAGE: u32 = ${STAGE}u;
var<workgroup> stage: array<f32, 3u * STAGE>;
var<workgroup> tmp: array<f32, 3u * STAGE>;
var<workgroup> red: array<f32, 256>;
#if ${BLUR}
var<workgroup> gk: array<f32, 64>;
#endif
#if ${RANDAUG}
const RA_K: u32 = ${RA_K}u;
#include "randaug_stage.wgsl"
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

// Where a view's pixels come from: the entry's geometry, loaded once per invocation.
struct View {
  src: u32,
  w: u32,
  c: u32,
  top: i32,
  left: i32,
  ch: i32,
  cw: i32,
  rh: i32,
  rw: i32,
  bilinear: bool,
}

fn load_view(e: u32) -> View {
  return View(
    word(e, E_SRC), word(e, E_W), word(e, E_C),
    i32(word(e, E_TOP)), i32(word(e, E_LEFT)), i32(word(e, E_CH)), i32(word(e, E_CW)),
    i32(word(e, E_RH)), i32(word(e, E_RW)), (word(e, E_FLAGS) & F_BILINEAR) != 0u,
  );
}

// RGB (0..255 as floats) of source pixel (y, x); 1-channel sources are repeated.
fn pixel(v: View, y: i32, x: i32) -> vec3f {
  let b = (u32(y) * v.w + u32(x)) * v.c;
  let wi = p.img_base + v.src + (b >> 2u);
  let sh = (b & 3u) * 8u;
  if (v.c == 1u) {
    return vec3f(f32((data[wi] >> sh) & 255u));
  }
  // 3 bytes may straddle two words; the image section ends with a pad word.
  let lo = data[wi] >> sh;
  let hi = select(data[wi + 1u] << (32u - sh), 0u, sh == 0u);
  let u = lo | hi;
  return vec3f(f32(u & 255u), f32((u >> 8u) & 255u), f32((u >> 16u) & 255u));
}

// The taps of output index i along one axis (torch _compute_indices_min_size_weights_aa).
struct Axis {
  center: f32,
  x0: i32,
  x1: i32,
  inv: f32,
}

fn axis_at(in_size: i32, out_size: i32, i: i32, hs: f32) -> Axis {
  let s = f32(in_size) / f32(out_size);
  let sup = select(hs, hs * s, s >= 1.0);
  let inv = select(1.0, 1.0 / s, s >= 1.0);
  let c = s * (f32(i) + 0.5);
  let x0 = max(i32(c - sup + 0.5), 0);
  let x1 = min(min(i32(c + sup + 0.5), in_size), x0 + i32(MAX_TAPS));
  return Axis(c, x0, x1, inv);
}

fn half_support(v: View) -> f32 {
  return select(2.0, 1.0, v.bilinear);
}

// Direct 2-D resampling from the source bytes (large crops that do not fit the stage).
fn sample_direct(v: View, vy: i32, vx: i32) -> vec3f {
  let hs = half_support(v);
  let ax = axis_at(v.cw, v.rw, vx, hs);
  var wx: array<f32, MAX_TAPS>;
  var tx = 0.0;
  for (var j = ax.x0; j < ax.x1; j++) {
    let f = filt((f32(j) - ax.center + 0.5) * ax.inv, v.bilinear);
    wx[j - ax.x0] = f;
    tx += f;
  }
  let ay = axis_at(v.ch, v.rh, vy, hs);
  var acc = vec3f(0.0);
  var ty = 0.0;
  for (var i = ay.x0; i < ay.x1; i++) {
    let fy = filt((f32(i) - ay.center + 0.5) * ay.inv, v.bilinear);
    ty += fy;
    var row = vec3f(0.0);
    for (var j = ax.x0; j < ax.x1; j++) {
      row += wx[j - ax.x0] * pixel(v, v.top + i, v.left + j);
    }
    acc += fy * row;
  }
  let norm = select(1.0, tx * ty, tx * ty != 0.0);
  return acc / norm;
}

// Column pass over the staged row-resampled crop (tmp holds ch × rw, already normalised).
fn sample_staged(v: View, vy: i32, vx: i32) -> vec3f {
  let ay = axis_at(v.ch, v.rh, vy, half_support(v));
  var acc = vec3f(0.0);
  var ty = 0.0;
  for (var i = ay.x0; i < ay.x1; i++) {
    let f = filt((f32(i) - ay.center + 0.5) * ay.inv, v.bilinear);
    let k = u32(i * v.rw + vx);
    acc += f * vec3f(tmp[k], tmp[STAGE + k], tmp[2u * STAGE + k]);
    ty += f;
  }
  return acc / select(1.0, ty, ty != 0.0);
}

// The resampled crop at virtual pixel (vy, vx), clamped to [0, 1]; zero outside the image.
fn sample_at(v: View, staged: bool, vy: i32, vx: i32) -> vec3f {
  if (vy < 0 || vx < 0 || vy >= v.rh || vx >= v.rw) {
    return vec3f(0.0);
  }
  if (v.ch == v.rh && v.cw == v.rw) {
    // Scale 1: the antialiased filter is exactly the identity.
    return pixel(v, v.top + vy, v.left + vx) / 255.0;
  }
  var s: vec3f;
  if (staged) {
    s = sample_staged(v, vy, vx);
  } else {
    s = sample_direct(v, vy, vx);
  }
  return clamp(s / 255.0, vec3f(0.0), vec3f(1.0));
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

// One per-pixel jitter op (0 brightness, 2 saturation, 3 hue; contrast is handled apart);
// f = (brightness, contrast, saturation, hue) factors.
fn color_op(f: vec4f, op: u32, v: vec3f) -> vec3f {
  if (op == 0u) {
    return blend(v, vec3f(0.0), f.x);
  }
  if (op == 2u) {
    return blend(v, vec3f(luma(v)), f.z);
  }
  if (op == 3u) {
    return adjust_hue(v, f.w);
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
  let vw = load_view(e);

  // Small crops: stage the crop as floats, then its row pass, in workgroup memory. The loops
  // run zero times otherwise; the barriers are reached by every invocation either way.
  let identity = vw.ch == vw.rh && vw.cw == vw.rw;
  let staged = !identity && u32(vw.ch * vw.cw) <= STAGE && u32(vw.ch * vw.rw) <= STAGE;
  let n_stage = select(0u, u32(vw.ch * vw.cw), staged);
  for (var i = lid; i < n_stage; i += WG) {
    let y = i32(i) / vw.cw;
    let v = pixel(vw, vw.top + y, vw.left + i32(i) - y * vw.cw);
    stage[i] = v.x;
    stage[STAGE + i] = v.y;
    stage[2u * STAGE + i] = v.z;
  }
  workgroupBarrier();
  let n_rows = select(0u, u32(vw.ch * vw.rw), staged);
  let hs = half_support(vw);
  for (var i = lid; i < n_rows; i += WG) {
    let y = i32(i) / vw.rw;
    let ax = axis_at(vw.cw, vw.rw, i32(i) - y * vw.rw, hs);
    var acc = vec3f(0.0);
    var tot = 0.0;
    for (var j = ax.x0; j < ax.x1; j++) {
      let f = filt((f32(j) - ax.center + 0.5) * ax.inv, vw.bilinear);
      let k = u32(y * vw.cw + j);
      acc += f * vec3f(stage[k], stage[STAGE + k], stage[2u * STAGE + k]);
      tot += f;
    }
    acc = acc / select(1.0, tot, tot != 0.0);
    tmp[i] = acc.x;
    tmp[STAGE + i] = acc.y;
    tmp[2u * STAGE + i] = acc.z;
  }
  workgroupBarrier();

#if ${COLOR}
  let jitter = (flags & F_JITTER) != 0u;
  let order = word(e, E_ORDER);
  let fac = vec4f(wordf(e, E_BRIGHT), wordf(e, E_CONTRAST), wordf(e, E_SAT), wordf(e, E_HUE));
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
    var v = sample_at(vw, staged, i32(y) + oy, i32(xs) + ox);
#if ${COLOR}
    for (var q = 0u; q < n1; q++) {
      v = color_op(fac, (order >> (2u * q)) & 3u, v);
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
    for (var i = lid; i < plane; i += WG) {
      var v = load(base, i, plane);
      if (cpos < 4u) {
        v = blend(v, vec3f(mean), fac.y);
        for (var q = cpos + 1u; q < 4u; q++) {
          v = color_op(fac, (order >> (2u * q)) & 3u, v);
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
#if ${RANDAUG}
  storageBarrier();
  workgroupBarrier();
  let rec = word(e, E_BOOST);
  let ra = p.ra_base + (max(rec, 1u) - 1u) * RA_WORDS;
  let nops = select(0u, data[ra + RA_NOPS], rec > 0u);
  randaug_stage(ra, nops, base, wg.x * 3u * plane, oh, ow, lid, p.ac_fix_n);
#endif
}
