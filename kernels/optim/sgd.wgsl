// SGD with momentum and weight decay, in place, with PyTorch's semantics (torch.optim.SGD,
// dampening 0, no Nesterov):
//   d   = g + wd·p
//   buf = d                       on a parameter's first step (p.first = 1: PyTorch's init)
//   buf = momentum·buf + d        afterwards
//   p   = p − lr·buf              (sgd_plain, momentum 0: p = p − lr·d, no buffer)
// lr comes from a one-element storage buffer written once per step: it changes every
// iteration and uniforms are cached by content. Grid-stride loop over the parameter; VEC
// processes 4 elements per access when the size is a multiple of 4. Params (n, momentum, wd,
// first) and bindings (lr; grad, param, buf: VecF) come from the spec SGD in mod.ts.

#include "../shared/vec_lanes.wgsl"

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let rate = lr[0];
  let stride = nwg.x * WG;
  let n = vec_count(p.n);
  for (var i = gid.x; i < n; i += stride) {
    let w = param[i];
    let d = grad[i] + p.wd * w;
    var b = d;
    if (p.first == 0u) {
      b = p.momentum * buf[i] + d;
    }
    buf[i] = b;
    param[i] = w - rate * b;
  }
}

@compute @workgroup_size(256)
fn sgd_plain(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let rate = lr[0];
  let stride = nwg.x * WG;
  let n = vec_count(p.n);
  for (var i = gid.x; i < n; i += stride) {
    let w = param[i];
    param[i] = w - rate * (grad[i] + p.wd * w);
  }
}
