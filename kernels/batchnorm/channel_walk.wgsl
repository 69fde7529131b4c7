// The (channel, chunk) walk shared by the batch norm kernels: chunk s of channel c covers
// elements [s·chunk, min((s+1)·chunk, Mv)) of the channel (VT units); an invocation starts at
// element s·chunk + t and advances by WG, with the host-side split WG = q·HWv + r so that no
// division runs per element (lavapipe has no SIMD integer division).
struct Walk {
  j: u32,
  hw: u32,
  addr: u32,
}

fn walk_start(c: u32, j: u32) -> Walk {
  let n = j / p.HWv;
  let hw = j - n * p.HWv;
  return Walk(j, hw, n * p.CHWv + c * p.HWv + hw);
}

fn walk_next(w: ptr<function, Walk>) {
  (*w).j += WG;
  (*w).hw += p.r;
  (*w).addr += p.q * p.CHWv + p.r;
  if ((*w).hw >= p.HWv) {
    (*w).hw -= p.HWv;
    (*w).addr += p.CHWv - p.HWv;
  }
}

fn chunk_end(s: u32) -> u32 {
  return min((s + 1u) * p.chunk, p.Mv);
}
