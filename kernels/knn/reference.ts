/**
 * CPU (f64) reference of the k-NN family.
 * @module
 */

/** Result of {@link knnVoteRef} for one query row. */
export interface KnnVoteRow {
  /** Winning class (largest vote total, lowest class on a tie). */
  pred: number;
  /** (best − second best vote) / best: how far f32 rounding is from flipping the winner. */
  margin: number;
}

interface Candidate {
  s: number;
  i: number;
}

// Similarity descending, then bank index ascending; +0 ranks above −0 as in the kernel's keys.
function order(a: Candidate, b: Candidate): number {
  if (a.s !== b.s) return b.s - a.s;
  if (!Object.is(a.s, b.s)) return Object.is(a.s, -0) ? 1 : -1;
  return a.i - b.i;
}

/** Shape and vote parameters of {@link knnVoteRef}. */
export interface KnnVoteRefOptions {
  /** sim is [rows, n]. */
  rows: number;
  n: number;
  /** Neighbours per row. */
  k: number;
  classes: number;
  /** Vote temperature. */
  t: number;
}

/**
 * Weighted k-NN vote per row of sim [rows, n]: the k entries of largest similarity (equal ones
 * lowest index first) vote for labels[index] with weight exp(sim / t), summed per class.
 */
export function knnVoteRef(
  sim: ArrayLike<number>,
  labels: ArrayLike<number>,
  o: KnnVoteRefOptions,
): KnnVoteRow[] {
  const { rows, n, k, classes, t } = o;
  const out: KnnVoteRow[] = [];
  for (let r = 0; r < rows; r++) {
    const cand: Candidate[] = Array.from({ length: n }, (_, i) => ({ s: sim[r * n + i], i }));
    cand.sort(order);
    const votes = new Float64Array(classes);
    for (let j = 0; j < k; j++) votes[labels[cand[j].i]] += Math.exp(cand[j].s / t);
    let best = 0;
    for (let c = 1; c < classes; c++) if (votes[c] > votes[best]) best = c;
    let second = 0;
    for (let c = 0; c < classes; c++) if (c !== best) second = Math.max(second, votes[c]);
    out.push({ pred: best, margin: (votes[best] - second) / votes[best] });
  }
  return out;
}
