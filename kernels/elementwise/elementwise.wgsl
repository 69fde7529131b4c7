// Elementwise kernels: memory-bound, so each is one grid-stride loop (at most 1024 workgroups of
// 256 invocations, each walking the array with stride 256·groups: coalesced, no index overflow
// for any size). Params and bindings come from the spec ELEMENTWISE in mod.ts: p.n (element
// count, in VT units), p.alpha (scalar operand), a, b (inputs), out. Bindings an entry does
// not use are not in its (auto) layout. With VEC4 (n % 4 == 0) the elements are vec4s: a
// quarter of the loads, which are the cost on lavapipe (each load runs lane by lane).

#include "../shared/vt.wgsl"

const WG: u32 = 256u;

// y = max(x, 0)
@compute @workgroup_size(256)
fn relu_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  for (var i = gid.x; i < p.n; i += stride) {
    out[i] = max(a[i], VT(0.0));
  }
}

// gx = gy · [y > 0]   (a = gy, b = y: the saved output, as PyTorch's threshold_backward)
@compute @workgroup_size(256)
fn relu_bwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  for (var i = gid.x; i < p.n; i += stride) {
    out[i] = select(VT(0.0), a[i], b[i] > VT(0.0));
  }
}

// out = a + b
@compute @workgroup_size(256)
fn add_fwd(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  for (var i = gid.x; i < p.n; i += stride) {
    out[i] = a[i] + b[i];
  }
}

// out += a   (gradient accumulation, in place)
@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  for (var i = gid.x; i < p.n; i += stride) {
    out[i] = out[i] + a[i];
  }
}

// out = alpha · a
@compute @workgroup_size(256)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  for (var i = gid.x; i < p.n; i += stride) {
    out[i] = p.alpha * a[i];
  }
}
