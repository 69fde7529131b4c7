// SGD with momentum and weight decay, in place, with PyTorch's semantics (torch.optim.SGD,
// dampening 0, no Nesterov):
//   d   = g + wd·p
//   buf = d                       on a parameter's first step (FIRST: PyTorch's buffer init)
//   buf = momentum·buf + d        afterwards
//   p   = p − lr·buf              (sgd_plain, momentum 0: p = p − lr·d, no buffer)
// lr comes from a one-element storage buffer written once per step: it changes every
// iteration and uniforms are cached by content. Grid-stride loop over the parameter; VEC
// processes 4 elements per access when the size is a multiple of 4.

struct Params {
  n: u32,
  momentum: f32,
  wd: f32,
  first: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> lr: array<f32>;
#if ${VEC}
@group(0) @binding(2) var<storage, read> grad: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> param: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> buf: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> param: array<f32>;
@group(0) @binding(4) var<storage, read_write> buf: array<f32>;
#endif

const WG: u32 = 256u;

fn count() -> u32 {
#if ${VEC}
  return p.n / 4u;
#else
  return p.n;
#endif
}

@compute @workgroup_size(256)
fn sgd_momentum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let rate = lr[0];
  let stride = nwg.x * WG;
  let n = count();
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
  let n = count();
  for (var i = gid.x; i < n; i += stride) {
    let w = param[i];
    param[i] = w - rate * (grad[i] + p.wd * w);
  }
}
