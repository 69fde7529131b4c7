// Gathers feature rows of a chunked feature bank into a dense batch: for batch row r,
// global row g = perm[perm_offset + r]; if g lies in this chunk ([chunk_start,
// chunk_start + chunk_rows)) row g of the chunk is copied to out[r]. A bank split into several
// chunks (each under the storage-binding limit) is gathered with one dispatch per chunk; rows
// of other chunks are left alone. Grid-stride over rows·dim, as the elementwise kernels.

struct Params {
  rows: u32,
  dim: u32,
  chunk_start: u32,
  chunk_rows: u32,
  perm_offset: u32,
  _p0: u32,
  _p1: u32,
  _p2: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> perm: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  let total = p.rows * p.dim;
  for (var i = gid.x; i < total; i += stride) {
    let r = i / p.dim;
    let f = i - r * p.dim;
    let g = perm[p.perm_offset + r];
    if (g >= p.chunk_start && g - p.chunk_start < p.chunk_rows) {
      out[i] = src[(g - p.chunk_start) * p.dim + f];
    }
  }
}
