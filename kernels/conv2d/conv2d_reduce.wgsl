// Finishes the weight gradient from the tile-padded scratch [splits, Op, Cp, KK] written by
// conv2d_wgrad.wgsl: dw[o, c, t] = Σ_z scratch[z, o, c, t] (cropping the padding), times the
// mask when MASKED. A grid-stride loop; each element is read by one invocation (no atomics).

struct Params {
  n: u32,      // elements of dw: O · C · KK
  splits: u32, // partial sums
  cin: u32,    // C
  kk: u32,     // KH · KW
  op: u32,     // scratch output channels
  cp: u32,     // scratch input channels
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> part: array<f32>;
@group(0) @binding(2) var<storage, read_write> dw: array<f32>;
#if ${MASKED}
@group(0) @binding(3) var<storage, read> wm: array<f32>;
#endif

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = p.op * p.cp * p.kk;
  for (var i = gid.x; i < p.n; i += nwg.x * 256u) {
    let t = i % p.kk;
    let oc = i / p.kk;
    let base = ((oc / p.cin) * p.cp + oc % p.cin) * p.kk + t;
    var s = 0.0;
    for (var z = 0u; z < p.splits; z++) {
      s += part[z * stride + base];
    }
#if ${MASKED}
    s *= wm[i];
#endif
    dw[i] = s;
  }
}
