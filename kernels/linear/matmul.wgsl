// GEMM: C = alpha · op(A) · op(B) (+ bias[n]) (+ C), on strided views of row-major buffers,
// so linear forward (x·Wᵀ), gx = gy·W and gW = gyᵀ·x need no transposed copies.
//
//   op(A)[m, k] = TRANS_A ? a[off_a + k·lda + m] : a[off_a + m·lda + k]
//   op(B)[k, n] = TRANS_B ? b[off_b + n·ldb + k] : b[off_b + k·ldb + n]
//   C[m, n]     = c[off_c + m·ldc + n]
//
// Why it looks like this (lavapipe runs WGSL on the CPU, 8 invocations per SIMD register):
// every load from a storage OR workgroup buffer becomes a loop over the 8 lanes, so it costs
// about as much as 50–100 FMAs, whatever the address pattern. Workgroup-shared tiles therefore
// only add loads and barriers; what pays is many FMAs per load. Each invocation keeps a
// ROWS×COLS register tile (up to 16×16) as 4×4 blocks in mat4x4 accumulators and walks K four
// at a time: per step it loads ROWS + COLS vec4s and does ROWS·COLS·4 FMAs (one mat4x4 product
// per block). The block loops are unrolled by hand (preprocessor conditionals select ROWS and
// COLS): the compiler leaves loops over private arrays rolled, which measured 2–3× slower.
//
// Block conventions (WGSL matrices are arrays of columns):
//   a_block(m, k) column r = op(A)[m + r, k .. k+3]      (a row of A over 4 k's)
//   b_block(n, k) column q = op(B)[k + q, n .. n+3]      (a row of B over 4 n's)
//   acc(i, j) += b_block · a_block  ⇒  acc column r = C[m + r, n .. n+3]
//
// Bounds: rows/columns past M/N read a clamped (valid) row whose results are never stored;
// k ≥ K contributes zeros. VEC_A/VEC_B/VEC_C (vec4 accesses along the contiguous dimension)
// need leading dimension and offset multiples of 4; otherwise scalar loads are used.

struct Params {
  m: u32,
  n: u32,
  k: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  off_a: u32,
  off_b: u32,
  off_c: u32,
  alpha: f32,
  _p0: u32,
  _p1: u32,
}

const ROWS = ${ROWS}u;
const COLS = ${COLS}u;

@group(0) @binding(0) var<uniform> p: Params;
#if ${VEC_A}
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
#endif
#if ${VEC_B}
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> b: array<f32>;
#endif
#if ${VEC_C}
@group(0) @binding(3) var<storage, read_write> c: array<vec4<f32>>;
#else
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
#endif
#if ${BIAS}
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif

// Lane q is true where k + q < K: the last K step is zero-padded (select, not a product, so
// whatever lies past K cannot turn into NaN).
fn kmask(k: u32) -> vec4<bool> {
  return k + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(p.k);
}
fn kpad(v: vec4<f32>, keep: vec4<bool>) -> vec4<f32> {
  return select(vec4<f32>(0.0), v, keep);
}

// First index of the last vec4 that starts inside [0, len): clamps padded rows/columns.
fn last4(len: u32) -> u32 {
  return ((len - 1u) / 4u) * 4u;
}

fn a_block(m: u32, k: u32) -> mat4x4<f32> {
#if ${TRANS_A}
  // Stored [K, M]: rows of storage are k, contiguous along m.
#if ${VEC_A}
  let mc = min(m, last4(p.m));
  let km = kmask(k);
  let k0 = min(k, p.k - 1u);
  let k1 = min(k + 1u, p.k - 1u);
  let k2 = min(k + 2u, p.k - 1u);
  let k3 = min(k + 3u, p.k - 1u);
  let t = mat4x4<f32>(
    select(vec4<f32>(0.0), a[(p.off_a + k0 * p.lda + mc) / 4u], km.x),
    select(vec4<f32>(0.0), a[(p.off_a + k1 * p.lda + mc) / 4u], km.y),
    select(vec4<f32>(0.0), a[(p.off_a + k2 * p.lda + mc) / 4u], km.z),
    select(vec4<f32>(0.0), a[(p.off_a + k3 * p.lda + mc) / 4u], km.w),
  );
  return transpose(t);
#else
  return mat4x4<f32>(a_row_scalar(m, k), a_row_scalar(m + 1u, k), a_row_scalar(m + 2u, k),
    a_row_scalar(m + 3u, k));
#endif
#else
  // Stored [M, K]: contiguous along k.
#if ${VEC_A}
  let km = kmask(k);
  let last = p.m - 1u;
  return mat4x4<f32>(
    kpad(a[(p.off_a + min(m, last) * p.lda + k) / 4u], km),
    kpad(a[(p.off_a + min(m + 1u, last) * p.lda + k) / 4u], km),
    kpad(a[(p.off_a + min(m + 2u, last) * p.lda + k) / 4u], km),
    kpad(a[(p.off_a + min(m + 3u, last) * p.lda + k) / 4u], km),
  );
#else
  return mat4x4<f32>(a_row_scalar(m, k), a_row_scalar(m + 1u, k), a_row_scalar(m + 2u, k),
    a_row_scalar(m + 3u, k));
#endif
#endif
}

#if ${VEC_A}
#else
// op(A)[m, k .. k+3] with scalar loads (any alignment).
fn a_at(m: u32, k: u32) -> f32 {
  let mc = min(m, p.m - 1u);
  let kc = min(k, p.k - 1u);
#if ${TRANS_A}
  let v = a[p.off_a + kc * p.lda + mc];
#else
  let v = a[p.off_a + mc * p.lda + kc];
#endif
  return select(0.0, v, k < p.k);
}
fn a_row_scalar(m: u32, k: u32) -> vec4<f32> {
  return vec4<f32>(a_at(m, k), a_at(m, k + 1u), a_at(m, k + 2u), a_at(m, k + 3u));
}
#endif

fn b_block(n: u32, k: u32) -> mat4x4<f32> {
#if ${TRANS_B}
  // Stored [N, K]: contiguous along k; loads give columns of B over k, hence the transpose.
#if ${VEC_B}
  let km = kmask(k);
  let last = p.n - 1u;
  let t = mat4x4<f32>(
    kpad(b[(p.off_b + min(n, last) * p.ldb + k) / 4u], km),
    kpad(b[(p.off_b + min(n + 1u, last) * p.ldb + k) / 4u], km),
    kpad(b[(p.off_b + min(n + 2u, last) * p.ldb + k) / 4u], km),
    kpad(b[(p.off_b + min(n + 3u, last) * p.ldb + k) / 4u], km),
  );
  return transpose(t);
#else
  return mat4x4<f32>(b_row_scalar(n, k), b_row_scalar(n, k + 1u), b_row_scalar(n, k + 2u),
    b_row_scalar(n, k + 3u));
#endif
#else
  // Stored [K, N]: contiguous along n.
#if ${VEC_B}
  let nc = min(n, last4(p.n));
  let km = kmask(k);
  let k0 = min(k, p.k - 1u);
  let k1 = min(k + 1u, p.k - 1u);
  let k2 = min(k + 2u, p.k - 1u);
  let k3 = min(k + 3u, p.k - 1u);
  return mat4x4<f32>(
    select(vec4<f32>(0.0), b[(p.off_b + k0 * p.ldb + nc) / 4u], km.x),
    select(vec4<f32>(0.0), b[(p.off_b + k1 * p.ldb + nc) / 4u], km.y),
    select(vec4<f32>(0.0), b[(p.off_b + k2 * p.ldb + nc) / 4u], km.z),
    select(vec4<f32>(0.0), b[(p.off_b + k3 * p.ldb + nc) / 4u], km.w),
  );
#else
  return mat4x4<f32>(b_row_scalar(n, k), b_row_scalar(n, k + 1u), b_row_scalar(n, k + 2u),
    b_row_scalar(n, k + 3u));
#endif
#endif
}

#if ${VEC_B}
#else
// op(B)[k, n .. n+3] with scalar loads (any alignment).
fn b_at(k: u32, n: u32) -> f32 {
  let nc = min(n, p.n - 1u);
  let kc = min(k, p.k - 1u);
#if ${TRANS_B}
  let v = b[p.off_b + nc * p.ldb + kc];
#else
  let v = b[p.off_b + kc * p.ldb + nc];
#endif
  return select(0.0, v, k < p.k);
}
fn b_row_scalar(n: u32, k: u32) -> vec4<f32> {
  return vec4<f32>(b_at(k, n), b_at(k, n + 1u), b_at(k, n + 2u), b_at(k, n + 3u));
}
#endif

// Writes C[row, col .. col+3] = alpha·v (+ bias) (+ C).
fn store_row(row: u32, col: u32, v: vec4<f32>) {
  if (row >= p.m || col >= p.n) {
    return;
  }
  var s = v * p.alpha;
  let base = p.off_c + row * p.ldc + col;
#if ${VEC_C}
#if ${BIAS}
  s += vec4<f32>(bias[col], bias[col + 1u], bias[col + 2u], bias[col + 3u]);
#endif
#if ${ACCUM}
  s += c[base / 4u];
#endif
  c[base / 4u] = s;
#else
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.n) {
      var x = s[j];
#if ${BIAS}
      x += bias[col + j];
#endif
#if ${ACCUM}
      x += c[base + j];
#endif
      c[base + j] = x;
    }
  }
#endif
}

fn store_block(m: u32, n: u32, acc: mat4x4<f32>) {
  store_row(m, n, acc[0]);
  store_row(m + 1u, n, acc[1]);
  store_row(m + 2u, n, acc[2]);
  store_row(m + 3u, n, acc[3]);
}

@compute @workgroup_size(${WGX}, ${WGY})
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let m0 = gid.y * ROWS;
  let n0 = gid.x * COLS;
  // acc_ij: row block i (rows m0 + 4i ..), column block j (columns n0 + 4j ..).
  var acc00 = mat4x4<f32>();
#if ${C8}
  var acc01 = mat4x4<f32>();
#endif
#if ${C16}
  var acc02 = mat4x4<f32>();
  var acc03 = mat4x4<f32>();
#endif
#if ${R8}
  var acc10 = mat4x4<f32>();
#if ${C8}
  var acc11 = mat4x4<f32>();
#endif
#if ${C16}
  var acc12 = mat4x4<f32>();
  var acc13 = mat4x4<f32>();
#endif
#endif
#if ${R16}
  var acc20 = mat4x4<f32>();
  var acc30 = mat4x4<f32>();
#if ${C8}
  var acc21 = mat4x4<f32>();
  var acc31 = mat4x4<f32>();
#endif
#if ${C16}
  var acc22 = mat4x4<f32>();
  var acc23 = mat4x4<f32>();
  var acc32 = mat4x4<f32>();
  var acc33 = mat4x4<f32>();
#endif
#endif

  for (var k = 0u; k < p.k; k += 4u) {
    let a0 = a_block(m0, k);
    let b0 = b_block(n0, k);
    acc00 += b0 * a0;
#if ${C8}
    let b1 = b_block(n0 + 4u, k);
    acc01 += b1 * a0;
#endif
#if ${C16}
    let b2 = b_block(n0 + 8u, k);
    let b3 = b_block(n0 + 12u, k);
    acc02 += b2 * a0;
    acc03 += b3 * a0;
#endif
#if ${R8}
    let a1 = a_block(m0 + 4u, k);
    acc10 += b0 * a1;
#if ${C8}
    acc11 += b1 * a1;
#endif
#if ${C16}
    acc12 += b2 * a1;
    acc13 += b3 * a1;
#endif
#endif
#if ${R16}
    let a2 = a_block(m0 + 8u, k);
    let a3 = a_block(m0 + 12u, k);
    acc20 += b0 * a2;
    acc30 += b0 * a3;
#if ${C8}
    acc21 += b1 * a2;
    acc31 += b1 * a3;
#endif
#if ${C16}
    acc22 += b2 * a2;
    acc23 += b3 * a2;
    acc32 += b2 * a3;
    acc33 += b3 * a3;
#endif
#endif
  }

  store_block(m0, n0, acc00);
#if ${C8}
  store_block(m0, n0 + 4u, acc01);
#endif
#if ${C16}
  store_block(m0, n0 + 8u, acc02);
  store_block(m0, n0 + 12u, acc03);
#endif
#if ${R8}
  store_block(m0 + 4u, n0, acc10);
#if ${C8}
  store_block(m0 + 4u, n0 + 4u, acc11);
#endif
#if ${C16}
  store_block(m0 + 4u, n0 + 8u, acc12);
  store_block(m0 + 4u, n0 + 12u, acc13);
#endif
#endif
#if ${R16}
  store_block(m0 + 8u, n0, acc20);
  store_block(m0 + 12u, n0, acc30);
#if ${C8}
  store_block(m0 + 8u, n0 + 4u, acc21);
  store_block(m0 + 12u, n0 + 4u, acc31);
#endif
#if ${C16}
  store_block(m0 + 8u, n0 + 8u, acc22);
  store_block(m0 + 8u, n0 + 12u, acc23);
  store_block(m0 + 12u, n0 + 8u, acc32);
  store_block(m0 + 12u, n0 + 12u, acc33);
#endif
#endif
}
