// Sum of the split-K partial weight gradients: dw[i] = Σ_z part[z·n + i], times the mask
// when MASKED. A grid-stride loop; each element is read by one invocation (no atomics).

struct Params {
  n: u32,      // elements of dw
  splits: u32, // partial sums
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
  for (var i = gid.x; i < p.n; i += nwg.x * 256u) {
    var s = 0.0;
    for (var z = 0u; z < p.splits; z++) {
      s += part[z * p.n + i];
    }
#if ${MASKED}
    s *= wm[i];
#endif
    dw[i] = s;
  }
}
