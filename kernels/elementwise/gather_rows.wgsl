// Row gather: out[r] = src[perm[perm_offset + r] − src_start] for every batch row r whose
// index lies in src's rows [src_start, src_start + src_rows); other rows of out are left
// alone, so a source split into chunks (each under the storage-binding limit) is gathered
// with one dispatch per chunk into the same out. Grid-stride over rows·dim, as the
// elementwise kernels.

// Params and bindings: the spec GATHER_ROWS in mod.ts.

const WG: u32 = 256u;

@compute @workgroup_size(256)
fn gather_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let stride = nwg.x * WG;
  let total = p.rows * p.dim;
  for (var i = gid.x; i < total; i += stride) {
    let r = i / p.dim;
    let g = perm[p.perm_offset + r];
    // g − src_start wraps for g < src_start, which the bound check rejects as well.
    if (g - p.src_start < p.src_rows) {
      out[i] = src[(g - p.src_start) * p.dim + (i - r * p.dim)];
    }
  }
}
