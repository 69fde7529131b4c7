// Weighted k-NN vote of query rows against a labelled bank, given the similarity matrix
// sim [rows, n] (query · bankᵀ of L2-normalised features). One workgroup per query row:
//   1. radix select (4 passes of 8 bits over order-preserving u32 keys of the similarities,
//      with a 256-bin workgroup histogram) finds the k-th largest similarity θ exactly and
//      how many entries equal to θ still belong to the top k;
//   2. each invocation owns a contiguous range of the row and counts its entries > θ and
//      == θ; workgroup scans give every invocation its output slot, and ties at θ are taken
//      lowest index first (so the result is deterministic);
//   3. the k neighbours vote for their class with weight exp(sim / T); votes are summed per
//      class in slot order and the class with the largest total (first on ties) wins.
// The order is that of the keys: −0 ranks just below +0, NaN above everything. Only the
// predicted class per row leaves the GPU. Rows arrive in 2-D grids (x + y·65535).

// Params (rows, n, k, classes, inv_t) and bindings (sim, labels, pred): the spec KNN_VOTE in
// mod.ts.

const WG = 256u;
const KMAX = ${KMAX}u;
const CLASSES = ${CLASSES}u;

var<workgroup> hist: array<atomic<u32>, 256>;
var<workgroup> scan: array<u32, 256>;
var<workgroup> sel_w: array<f32, KMAX>;
var<workgroup> sel_lab: array<u32, KMAX>;
var<workgroup> votes: array<f32, CLASSES>;
var<workgroup> state: array<u32, 4>; // prefix, mask, remaining, unused

// Order-preserving map f32 → u32 (larger float → larger key).
fn key_of(x: f32) -> u32 {
  let b = bitcast<u32>(x);
  return select(b | 0x80000000u, ~b, (b & 0x80000000u) != 0u);
}

// Exclusive prefix sum over the invocations in index order: invocation t gets the sum of the
// values of invocations 0 .. t−1. Called by the whole workgroup (it holds barriers).
fn exclusive_scan(t: u32, v: u32) -> u32 {
  scan[t] = v;
  workgroupBarrier();
  if (t == 0u) {
    var acc = 0u;
    for (var j = 0u; j < WG; j++) {
      let s = scan[j];
      scan[j] = acc;
      acc += s;
    }
  }
  workgroupBarrier();
  let before = scan[t];
  workgroupBarrier();
  return before;
}

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_id) lid: vec3u, @builtin(workgroup_id) wid: vec3u) {
  let t = lid.x;
  let row = wid.x + wid.y * 65535u;
  // Uniform exit: the whole workgroup leaves together.
  if (row >= p.rows) {
    return;
  }
  let base = row * p.n;
  if (t == 0u) {
    state[0] = 0u;
    state[1] = 0u;
    state[2] = p.k;
  }
  for (var rp = 0u; rp < 4u; rp++) {
    let shift = 24u - 8u * rp;
    atomicStore(&hist[t], 0u);
    workgroupBarrier();
    let prefix = state[0];
    let mask = state[1];
    for (var i = t; i < p.n; i += WG) {
      let key = key_of(sim[base + i]);
      if ((key & mask) == prefix) {
        atomicAdd(&hist[(key >> shift) & 255u], 1u);
      }
    }
    workgroupBarrier();
    if (t == 0u) {
      var remaining = state[2];
      var b = 255i;
      loop {
        let h = atomicLoad(&hist[u32(b)]);
        if (h >= remaining || b == 0i) {
          break;
        }
        remaining -= h;
        b -= 1i;
      }
      state[0] = prefix | (u32(b) << shift);
      state[1] = mask | (255u << shift);
      state[2] = remaining;
    }
    workgroupBarrier();
  }
  let theta = state[0];
  let ties = state[2];
  // Contiguous ownership so that "lowest index first" among ties is a prefix sum.
  let per = (p.n + WG - 1u) / WG;
  let lo = min(t * per, p.n);
  let hi = min(lo + per, p.n);
  var gt = 0u;
  var eq = 0u;
  for (var i = lo; i < hi; i++) {
    let key = key_of(sim[base + i]);
    gt += select(0u, 1u, key > theta);
    eq += select(0u, 1u, key == theta);
  }
  let eq_before = exclusive_scan(t, eq);
  let take_eq = min(eq, select(ties - eq_before, 0u, eq_before >= ties));
  var slot = exclusive_scan(t, gt + take_eq);
  var eq_left = take_eq;
  for (var i = lo; i < hi; i++) {
    let s = sim[base + i];
    let key = key_of(s);
    var take = key > theta;
    if (key == theta && eq_left > 0u) {
      take = true;
      eq_left -= 1u;
    }
    if (take && slot < KMAX) {
      sel_w[slot] = exp(s * p.inv_t);
      sel_lab[slot] = labels[i];
      slot += 1u;
    }
  }
  workgroupBarrier();
  for (var c = t; c < CLASSES; c += WG) {
    var v = 0.0;
    for (var j = 0u; j < p.k; j++) {
      v += select(0.0, sel_w[j], sel_lab[j] == c);
    }
    votes[c] = v;
  }
  workgroupBarrier();
  if (t == 0u) {
    var best = 0u;
    var bv = votes[0];
    for (var c = 1u; c < CLASSES; c++) {
      if (votes[c] > bv) {
        bv = votes[c];
        best = c;
      }
    }
    pred[row] = best;
  }
}
