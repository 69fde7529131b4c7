// BCL's RandAugment on one view, run by one workgroup of WG invocations (shared by the fused
// augment kernel and the second-pass randaug kernel). The view is float CHW in `out` at
// `base`; with at least one op it becomes 8-bit levels (stored as integer-valued floats),
// the ops run in order, and it returns to level/255. Every op is integer-exact as PIL
// computes it (the CPU resolved the values: randaug.ts), see randaug_ref.ts for each.
//
// The including kernel declares `data` (u32, holding the boost records), `out` and `scratch`
// (f32; scratch has 3·plane floats per workgroup at `sbase`, for the ops that read other
// pixels), `ac_fix` (u32, autocontrast's corrections) and `const WG: u32`, plus the layout
// constants RA_* / K_* of the spec. Barriers sit in uniform control flow: the op loop has
// the constant bound RA_K and every phase's work is inside conditions without barriers.

var<workgroup> hist: array<atomic<u32>, 768>;

fn ra_level(base: u32, i: u32) -> u32 {
  return u32(out[base + i]);
}

// Image.blend in C floats: deg + α·(img − deg), truncated, clipped to [0, 255].
fn ra_blend(deg: f32, img: f32, alpha: f32) -> f32 {
  let prod = alpha * (img - deg);
  let t = deg + prod;
  if (t <= 0.0) {
    return 0.0;
  }
  if (t >= 255.0) {
    return 255.0;
  }
  return trunc(t);
}

// PIL's L of RGB levels.
fn ra_luma(r: u32, g: u32, b: u32) -> u32 {
  return (r * 19595u + g * 38470u + b * 7471u + 0x8000u) >> 16u;
}

// Whether key lo·65536 + hi·256 + i is in the sorted list of autocontrast corrections.
fn ra_fixed(key: u32, n: u32) -> bool {
  var lo = 0u;
  var hi = n;
  while (lo < hi) {
    let mid = (lo + hi) / 2u;
    let k = ac_fix[mid];
    if (k == key) {
      return true;
    }
    if (k < key) {
      lo = mid + 1u;
    } else {
      hi = mid;
    }
  }
  return false;
}

// One row of the SMOOTH kernel (1 mid 1)/13 over levels at columns x−1, x, x+1.
fn ra_smooth_row(base: u32, row: u32, x: u32, mid: f32) -> f32 {
  let k1 = 1.0 / 13.0;
  let a = out[base + row + x - 1u] * k1;
  let b = out[base + row + x] * mid;
  let c = out[base + row + x + 1u] * k1;
  let ab = a + b;
  return ab + c;
}

// Record at word `ra` with `nops` ops (0: the view stays as it is); view at `base`.
fn randaug_stage(
  ra: u32,
  nops: u32,
  base: u32,
  sbase: u32,
  oh: u32,
  ow: u32,
  lid: u32,
  ac_n: u32,
) {
  let plane = oh * ow;
  if (nops > 0u) {
    for (var i = lid; i < 3u * plane; i += WG) {
      out[base + i] = floor(clamp(out[base + i], 0.0, 1.0) * 255.0 + 0.5);
    }
  }
  storageBarrier();
  workgroupBarrier();
  for (var q = 0u; q < RA_K; q++) {
    let o = ra + RA_OPS + q * RA_OPW;
    let kind = select(K_NONE, data[o], q < nops);
    let w0 = data[o + 1u];
    for (var i = lid; i < 768u; i += WG) {
      atomicStore(&hist[i], 0u);
    }
    workgroupBarrier();
    // Phase 1: histograms, and every op that needs no whole-image statistic.
    if (kind == K_AUTOCONTRAST || kind == K_EQUALIZE) {
      for (var i = lid; i < 3u * plane; i += WG) {
        atomicAdd(&hist[(i / plane) * 256u + ra_level(base, i)], 1u);
      }
    } else if (kind == K_CONTRAST) {
      var part = 0u;
      for (var i = lid; i < plane; i += WG) {
        part += ra_luma(
          ra_level(base, i),
          ra_level(base, plane + i),
          ra_level(base, 2u * plane + i),
        );
      }
      atomicAdd(&hist[0], part);
    } else if (kind == K_AFFINE) {
      let a0 = bitcast<i32>(w0);
      let a1 = bitcast<i32>(data[o + 2u]);
      let a2 = bitcast<i32>(data[o + 3u]);
      let a3 = bitcast<i32>(data[o + 4u]);
      let a4 = bitcast<i32>(data[o + 5u]);
      let a5 = bitcast<i32>(data[o + 6u]);
      for (var i = lid; i < plane; i += WG) {
        let y = i32(i / ow);
        let x = i32(i % ow);
        let xi = (a2 + x * a0 + y * a1) >> 16u;
        let yi = (a5 + x * a3 + y * a4) >> 16u;
        let inside = xi >= 0 && yi >= 0 && xi < i32(ow) && yi < i32(oh);
        let src = u32(select(0, yi * i32(ow) + xi, inside));
        for (var c = 0u; c < 3u; c++) {
          scratch[sbase + c * plane + i] = select(0.0, out[base + c * plane + src], inside);
        }
      }
    } else if (kind == K_SHARPNESS) {
      let alpha = bitcast<f32>(w0);
      for (var i = lid; i < 3u * plane; i += WG) {
        let c = i / plane;
        let j = i % plane;
        let y = j / ow;
        let x = j % ow;
        let v = out[base + i];
        var deg = v;
        if (y > 0u && x > 0u && y + 1u < oh && x + 1u < ow) {
          let cb = base + c * plane;
          var ss = 0.0 + ra_smooth_row(cb, (y + 1u) * ow, x, 1.0 / 13.0);
          ss = ss + ra_smooth_row(cb, y * ow, x, 5.0 / 13.0);
          ss = ss + ra_smooth_row(cb, (y - 1u) * ow, x, 1.0 / 13.0);
          deg = select(select(trunc(ss + 0.5), 255.0, ss >= 255.0), 0.0, ss <= 0.0);
        }
        scratch[sbase + i] = ra_blend(deg, v, alpha);
      }
    } else if (kind == K_COLOR) {
      let alpha = bitcast<f32>(w0);
      for (var i = lid; i < plane; i += WG) {
        let r = out[base + i];
        let g = out[base + plane + i];
        let b = out[base + 2u * plane + i];
        let l = f32(ra_luma(u32(r), u32(g), u32(b)));
        out[base + i] = ra_blend(l, r, alpha);
        out[base + plane + i] = ra_blend(l, g, alpha);
        out[base + 2u * plane + i] = ra_blend(l, b, alpha);
      }
    } else if (kind != K_NONE) {
      // Pointwise: invert, solarize, posterize, brightness, cutout.
      for (var i = lid; i < 3u * plane; i += WG) {
        let v = out[base + i];
        let lv = u32(v);
        var r = v;
        if (kind == K_INVERT) {
          r = f32(255u - lv);
        } else if (kind == K_SOLARIZE) {
          r = select(v, f32(255u - lv), lv >= w0);
        } else if (kind == K_POSTERIZE) {
          r = f32(lv & w0);
        } else if (kind == K_BRIGHTNESS) {
          r = ra_blend(0.0, v, bitcast<f32>(w0));
        } else if (kind == K_CUTOUT) {
          let j = i % plane;
          let y = j / ow;
          let x = j % ow;
          if (x >= w0 && x <= data[o + 3u] && y >= data[o + 2u] && y <= data[o + 4u]) {
            let c = i / plane;
            r = select(select(114.0, 123.0, c == 1u), 125.0, c == 0u);
          }
        }
        out[base + i] = r;
      }
    }
    storageBarrier();
    workgroupBarrier();
    // Phase 2: the lookup tables (one invocation per channel) or the contrast mean.
    if (kind == K_AUTOCONTRAST && lid < 3u) {
      let h0 = lid * 256u;
      var lo = 0u;
      while (lo < 256u && atomicLoad(&hist[h0 + lo]) == 0u) {
        lo++;
      }
      var hi = 255i;
      while (hi >= 0i && atomicLoad(&hist[h0 + u32(hi)]) == 0u) {
        hi--;
      }
      for (var i = 0u; i < 256u; i++) {
        var v = i;
        if (hi > i32(lo)) {
          let d = u32(hi) - lo;
          v = select(min(255u * (i - lo) / d, 255u), 0u, i < lo);
          let exact = i >= lo && (255u * (i - lo)) % d == 0u && 255u * (i - lo) / d <= 255u;
          if (exact && ra_fixed(lo * 65536u + u32(hi) * 256u + i, ac_n)) {
            v = v - 1u;
          }
        }
        atomicStore(&hist[h0 + i], v);
      }
    } else if (kind == K_EQUALIZE && lid < 3u) {
      let h0 = lid * 256u;
      var total = 0u;
      var last = 0u;
      var used = 0u;
      for (var i = 0u; i < 256u; i++) {
        let c = atomicLoad(&hist[h0 + i]);
        if (c > 0u) {
          total += c;
          last = c;
          used++;
        }
      }
      let step = (total - last) / 255u;
      var n = step / 2u;
      for (var i = 0u; i < 256u; i++) {
        let c = atomicLoad(&hist[h0 + i]);
        var v = i;
        if (used > 1u && step > 0u) {
          v = min(n / step, 255u);
        }
        n += c;
        atomicStore(&hist[h0 + i], v);
      }
    } else if (kind == K_CONTRAST && lid == 0u) {
      // int(mean + 0.5) of the L image, in integers.
      let sum = atomicLoad(&hist[0]);
      atomicStore(&hist[1], (2u * sum + plane) / (2u * plane));
    }
    workgroupBarrier();
    // Phase 3: apply the tables, the contrast blend, or copy the resampled image back.
    if (kind == K_AUTOCONTRAST || kind == K_EQUALIZE) {
      for (var i = lid; i < 3u * plane; i += WG) {
        out[base + i] = f32(atomicLoad(&hist[(i / plane) * 256u + ra_level(base, i)]));
      }
    } else if (kind == K_CONTRAST) {
      let mean = f32(atomicLoad(&hist[1]));
      let alpha = bitcast<f32>(w0);
      for (var i = lid; i < 3u * plane; i += WG) {
        out[base + i] = ra_blend(mean, out[base + i], alpha);
      }
    } else if (kind == K_AFFINE || kind == K_SHARPNESS) {
      for (var i = lid; i < 3u * plane; i += WG) {
        out[base + i] = scratch[sbase + i];
      }
    }
    storageBarrier();
    workgroupBarrier();
  }
  if (nops > 0u) {
    for (var i = lid; i < 3u * plane; i += WG) {
      out[base + i] = out[base + i] / 255.0;
    }
  }
}
