// Bias gradient of a linear layer: gb[j] = Σ_i gy[i, j] over the rows of gy [rows, cols].
// One invocation per column (VEC: per 4 columns, when cols is a multiple of 4), walking the
// rows: every load is a full row segment, and the few hundred rows of a batch keep it cheap.

struct Params {
  rows: u32,
  cols: u32,
  _p0: u32,
  _p1: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
#if ${VEC}
@group(0) @binding(1) var<storage, read> gy: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> gy: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
#endif

@compute @workgroup_size(64)
fn col_sum(@builtin(global_invocation_id) gid: vec3u) {
#if ${VEC}
  let w = p.cols / 4u;
#else
  let w = p.cols;
#endif
  let j = gid.x;
  if (j >= w) {
    return;
  }
  // Four partial sums (rows i, i+1, i+2, i+3) shorten the rounding chain of long batches.
#if ${VEC}
  var s0 = vec4<f32>(0.0);
  var s1 = vec4<f32>(0.0);
  var s2 = vec4<f32>(0.0);
  var s3 = vec4<f32>(0.0);
#else
  var s0 = 0.0;
  var s1 = 0.0;
  var s2 = 0.0;
  var s3 = 0.0;
#endif
  var i = 0u;
  for (; i + 4u <= p.rows; i += 4u) {
    s0 += gy[i * w + j];
    s1 += gy[(i + 1u) * w + j];
    s2 += gy[(i + 2u) * w + j];
    s3 += gy[(i + 3u) * w + j];
  }
  for (; i < p.rows; i++) {
    s0 += gy[i * w + j];
  }
  out[j] = (s0 + s1) + (s2 + s3);
}
