// Version 1 of every conv2d pass: the simplest correct GPU kernels. One invocation computes one
// output element (a grid-stride loop walks the outputs), by straight loops over its reduction in
// the order of the CPU reference, reading buffers only. Slow (each input is loaded again for
// every output that uses it, nothing is held in registers), but short enough to check by eye:
// kept as the differential oracle of the tiled versions (versions.ts).
// Layouts: x [N, C, H, W], w and mask [O, C, KH, KW], y and gy [N, O, Ho, Wo].
// Params and bindings come from the spec NAIVE in specs.ts.

const WG: u32 = 64u;

// The weight the convolution uses: w ⊙ mask when MASKED.
fn weight(i: u32) -> f32 {
#if ${MASKED}
  return w[i] * mask[i];
#else
  return w[i];
#endif
}

// y[n, o, a, b] = Σ_{c, kh, kw} x[n, c, S·a − P + kh, S·b − P + kw] · weight[o, c, kh, kw]
@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var i = gid.x; i < p.total; i += nwg.x * WG) {
    let b = i % p.ow;
    let a = (i / p.ow) % p.oh;
    let o = (i / (p.ow * p.oh)) % p.cout;
    let n = i / (p.ow * p.oh * p.cout);
    var s = 0.0;
    for (var c = 0u; c < p.cin; c++) {
      for (var kh = 0u; kh < p.kh; kh++) {
        let r = i32(a * p.stride + kh) - i32(p.pad);
        if (r < 0 || r >= i32(p.ih)) {
          continue;
        }
        for (var kw = 0u; kw < p.kw; kw++) {
          let q = i32(b * p.stride + kw) - i32(p.pad);
          if (q < 0 || q >= i32(p.iw)) {
            continue;
          }
          let xi = ((n * p.cin + c) * p.ih + u32(r)) * p.iw + u32(q);
          s += x[xi] * weight(((o * p.cin + c) * p.kh + kh) * p.kw + kw);
        }
      }
    }
    y[i] = s;
  }
}

// gx[n, c, h, v] = Σ_{o, kh, kw} gy[n, o, a, b] · weight[o, c, kh, kw] over the taps with
// S·a − P + kh = h and S·b − P + kw = v (a, b whole numbers inside the output).
@compute @workgroup_size(64)
fn backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var i = gid.x; i < p.total; i += nwg.x * WG) {
    let v = i % p.iw;
    let h = (i / p.iw) % p.ih;
    let c = (i / (p.iw * p.ih)) % p.cin;
    let n = i / (p.iw * p.ih * p.cin);
    var s = 0.0;
    for (var o = 0u; o < p.cout; o++) {
      for (var kh = 0u; kh < p.kh; kh++) {
        let ta = i32(h + p.pad) - i32(kh);
        if (ta < 0 || u32(ta) % p.stride != 0u || u32(ta) / p.stride >= p.oh) {
          continue;
        }
        let a = u32(ta) / p.stride;
        for (var kw = 0u; kw < p.kw; kw++) {
          let tb = i32(v + p.pad) - i32(kw);
          if (tb < 0 || u32(tb) % p.stride != 0u || u32(tb) / p.stride >= p.ow) {
            continue;
          }
          let b = u32(tb) / p.stride;
          let yi = ((n * p.cout + o) * p.oh + a) * p.ow + b;
          s += gy[yi] * weight(((o * p.cin + c) * p.kh + kh) * p.kw + kw);
        }
      }
    }
    gx[i] = s;
  }
}

// gw[o, c, kh, kw] = Σ_{n, a, b} gy[n, o, a, b] · x[n, c, S·a − P + kh, S·b − P + kw]
// (times mask[o, c, kh, kw] when MASKED: d(w ⊙ m)/dw = m).
@compute @workgroup_size(64)
fn backward_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  for (var i = gid.x; i < p.total; i += nwg.x * WG) {
    let kw = i % p.kw;
    let kh = (i / p.kw) % p.kh;
    let c = (i / (p.kw * p.kh)) % p.cin;
    let o = i / (p.kw * p.kh * p.cin);
    var s = 0.0;
    for (var n = 0u; n < p.batch; n++) {
      for (var a = 0u; a < p.oh; a++) {
        let r = i32(a * p.stride + kh) - i32(p.pad);
        if (r < 0 || r >= i32(p.ih)) {
          continue;
        }
        for (var b = 0u; b < p.ow; b++) {
          let q = i32(b * p.stride + kw) - i32(p.pad);
          if (q < 0 || q >= i32(p.iw)) {
            continue;
          }
          let xi = ((n * p.cin + c) * p.ih + u32(r)) * p.iw + u32(q);
          s += gy[((n * p.cout + o) * p.oh + a) * p.ow + b] * x[xi];
        }
      }
    }
#if ${MASKED}
    s *= mask[i];
#endif
    gw[i] = s;
  }
}
