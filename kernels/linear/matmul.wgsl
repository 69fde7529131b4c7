// Tiled GEMM: C = alpha · op(A) · op(B) (+ bias[n]) (+ C), all strided views of row-major
// buffers, so linear forward (x·Wᵀ), gx = gy·W and gW = gyᵀ·x need no transposed copies.
//
//   element (m, k) of op(A):  TRANS_A ? a[off_a + k·lda + m] : a[off_a + m·lda + k]
//   element (k, n) of op(B):  TRANS_B ? b[off_b + n·ldb + k] : b[off_b + k·ldb + n]
//   element (m, n) of C:      c[off_c + m·ldc + n]
//
// Each workgroup computes a BM×BN block of C (BM = 4·WGY, BN = 4·WGX); each invocation a 4×4
// register tile (4 vec4 accumulators), walking K in steps of TK through workgroup-shared
// tiles stored k-major (As[k][m], Bs[k][n]) so the inner loop is 2 vec4 loads + 16 FMAs.
// On lavapipe every per-invocation scalar is one SIMD register across 8 invocations, so 4×4
// accumulators are what fits the register file; bigger register tiles spill.
//
// VEC_A / VEC_B / VEC_C select vec4 global loads/stores along the contiguous dimension; the
// launcher enables them only when that extent, the leading dimension and the offset are all
// multiples of 4 (so a vec4 never straddles the matrix edge). Out-of-range elements of a tile
// load as 0 and out-of-range outputs are not written, so any M, N, K works.

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

const WGX = ${WGX}u;
const WGY = ${WGY}u;
const TK = ${TK}u;
const BM = WGY * 4u;
const BN = WGX * 4u;
const BM4 = WGY;
const BN4 = WGX;
const THREADS = WGX * WGY;

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

var<workgroup> As: array<vec4<f32>, TK * BM4>;
var<workgroup> Bs: array<vec4<f32>, TK * BN4>;

// Stores one scalar of a k-major shared tile (row kk, column j of a tile `width4` vec4s wide).
fn put_a(kk: u32, j: u32, v: f32) {
  As[kk * BM4 + j / 4u][j % 4u] = v;
}
fn put_b(kk: u32, j: u32, v: f32) {
  Bs[kk * BN4 + j / 4u][j % 4u] = v;
}

fn load_a(m0: u32, k0: u32, t: u32) {
#if ${TRANS_A}
  // Contiguous along m: tile rows are k, vec4 columns along m, stored as-is.
#if ${VEC_A}
  for (var i = t; i < TK * BM4; i += THREADS) {
    let kk = i / BM4;
    let mv = i % BM4;
    let gk = k0 + kk;
    let gm = m0 + mv * 4u;
    var v = vec4<f32>(0.0);
    if (gk < p.k && gm < p.m) {
      v = a[(p.off_a + gk * p.lda + gm) / 4u];
    }
    As[i] = v;
  }
#else
  for (var i = t; i < TK * BM; i += THREADS) {
    let kk = i / BM;
    let mm = i % BM;
    let gk = k0 + kk;
    let gm = m0 + mm;
    var v = 0.0;
    if (gk < p.k && gm < p.m) {
      v = a[p.off_a + gk * p.lda + gm];
    }
    put_a(kk, mm, v);
  }
#endif
#else
  // Contiguous along k: read along k, transpose into the k-major tile.
#if ${VEC_A}
  for (var i = t; i < BM * (TK / 4u); i += THREADS) {
    let mm = i / (TK / 4u);
    let kv = i % (TK / 4u);
    let gm = m0 + mm;
    let gk = k0 + kv * 4u;
    var v = vec4<f32>(0.0);
    if (gm < p.m && gk < p.k) {
      v = a[(p.off_a + gm * p.lda + gk) / 4u];
    }
    put_a(kv * 4u, mm, v.x);
    put_a(kv * 4u + 1u, mm, v.y);
    put_a(kv * 4u + 2u, mm, v.z);
    put_a(kv * 4u + 3u, mm, v.w);
  }
#else
  for (var i = t; i < BM * TK; i += THREADS) {
    let mm = i / TK;
    let kk = i % TK;
    let gm = m0 + mm;
    let gk = k0 + kk;
    var v = 0.0;
    if (gm < p.m && gk < p.k) {
      v = a[p.off_a + gm * p.lda + gk];
    }
    put_a(kk, mm, v);
  }
#endif
#endif
}

fn load_b(n0: u32, k0: u32, t: u32) {
#if ${TRANS_B}
  // Contiguous along k (B stored [N, K]).
#if ${VEC_B}
  for (var i = t; i < BN * (TK / 4u); i += THREADS) {
    let nn = i / (TK / 4u);
    let kv = i % (TK / 4u);
    let gn = n0 + nn;
    let gk = k0 + kv * 4u;
    var v = vec4<f32>(0.0);
    if (gn < p.n && gk < p.k) {
      v = b[(p.off_b + gn * p.ldb + gk) / 4u];
    }
    put_b(kv * 4u, nn, v.x);
    put_b(kv * 4u + 1u, nn, v.y);
    put_b(kv * 4u + 2u, nn, v.z);
    put_b(kv * 4u + 3u, nn, v.w);
  }
#else
  for (var i = t; i < BN * TK; i += THREADS) {
    let nn = i / TK;
    let kk = i % TK;
    let gn = n0 + nn;
    let gk = k0 + kk;
    var v = 0.0;
    if (gn < p.n && gk < p.k) {
      v = b[p.off_b + gn * p.ldb + gk];
    }
    put_b(kk, nn, v);
  }
#endif
#else
  // Contiguous along n (B stored [K, N]).
#if ${VEC_B}
  for (var i = t; i < TK * BN4; i += THREADS) {
    let kk = i / BN4;
    let nv = i % BN4;
    let gk = k0 + kk;
    let gn = n0 + nv * 4u;
    var v = vec4<f32>(0.0);
    if (gk < p.k && gn < p.n) {
      v = b[(p.off_b + gk * p.ldb + gn) / 4u];
    }
    Bs[i] = v;
  }
#else
  for (var i = t; i < TK * BN; i += THREADS) {
    let kk = i / BN;
    let nn = i % BN;
    let gk = k0 + kk;
    let gn = n0 + nn;
    var v = 0.0;
    if (gk < p.k && gn < p.n) {
      v = b[p.off_b + gk * p.ldb + gn];
    }
    put_b(kk, nn, v);
  }
#endif
#endif
}

fn store_row(row: u32, col: u32, acc: vec4<f32>) {
  if (row >= p.m || col >= p.n) {
    return;
  }
  var v = acc * p.alpha;
  let base = p.off_c + row * p.ldc + col;
#if ${VEC_C}
#if ${BIAS}
  v += vec4<f32>(bias[col], bias[col + 1u], bias[col + 2u], bias[col + 3u]);
#endif
#if ${ACCUM}
  v += c[base / 4u];
#endif
  c[base / 4u] = v;
#else
  for (var j = 0u; j < 4u; j++) {
    if (col + j < p.n) {
      var s = v[j];
#if ${BIAS}
      s += bias[col + j];
#endif
#if ${ACCUM}
      s += c[base + j];
#endif
      c[base + j] = s;
    }
  }
#endif
}

@compute @workgroup_size(WGX, WGY)
fn main(
  @builtin(workgroup_id) wid: vec3u,
  @builtin(local_invocation_id) lid: vec3u,
  @builtin(local_invocation_index) t: u32,
) {
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  var acc0 = vec4<f32>(0.0);
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var k0 = 0u; k0 < p.k; k0 += TK) {
    load_a(m0, k0, t);
    load_b(n0, k0, t);
    workgroupBarrier();
    for (var kk = 0u; kk < TK; kk++) {
      let av = As[kk * BM4 + lid.y];
      let bv = Bs[kk * BN4 + lid.x];
      acc0 += av.x * bv;
      acc1 += av.y * bv;
      acc2 += av.z * bv;
      acc3 += av.w * bv;
    }
    workgroupBarrier();
  }
  let row = m0 + lid.y * 4u;
  let col = n0 + lid.x * 4u;
  store_row(row, col, acc0);
  store_row(row + 1u, col, acc1);
  store_row(row + 2u, col, acc2);
  store_row(row + 3u, col, acc3);
}
