/**
 * Structure checks for nested long-tail split files, usable without the dataset's labels.
 * Both the authors' files and ours list class blocks in class order, and within a class the
 * three sets are prefixes of one permutation; so the S_b block of class c starts the D_i and
 * D_b blocks of class c, and the next S_b block marks where the D_i block ends. That lets us
 * recover every class's D_i size from the files alone and compare profiles.
 * @module
 */

/** What `nestedBlocks` recovers: per-class D_i sizes (class order) and the fixed sizes. */
export interface NestedBlocks {
  /** D_i size of each class block, in file (= class) order. */
  longTail: number[];
  /** D_b size per class. */
  balanced: number;
  /** S_b size per class. */
  fewShot: number;
}

function eq(a: ArrayLike<number>, ao: number, b: ArrayLike<number>, bo: number, n: number) {
  for (let i = 0; i < n; i++) if (a[ao + i] !== b[bo + i]) return false;
  return true;
}

/** The three index sets of one split (a generated split has them under these names). */
export interface SplitSets {
  /** The long-tailed pretraining set. */
  D_i: ArrayLike<number>;
  /** The balanced set. */
  D_b: ArrayLike<number>;
  /** The few-shot set. */
  S_b: ArrayLike<number>;
}

/**
 * Verifies that D_i, D_b, S_b are class-ordered prefixes of one permutation per class and
 * returns the recovered block sizes. Throws an Error saying which class block breaks the
 * structure.
 */
export function nestedBlocks(sets: SplitSets, classes: number): NestedBlocks {
  const { D_i: dI, D_b: dB, S_b: sB } = sets;
  if (dB.length % classes || sB.length % classes) {
    throw new Error(`D_b (${dB.length}) or S_b (${sB.length}) is not a multiple of ${classes}`);
  }
  const nb = dB.length / classes, ns = sB.length / classes;
  const where = new Map<number, number>();
  for (let i = 0; i < dI.length; i++) where.set(dI[i], i);
  const longTail: number[] = [];
  let pos = 0;
  for (let c = 0; c < classes; c++) {
    if (!eq(dI, pos, sB, c * ns, ns)) {
      throw new Error(`class block ${c}: D_i does not start with S_b`);
    }
    if (!eq(dB, c * nb, sB, c * ns, ns)) {
      throw new Error(`class block ${c}: D_b does not start with S_b`);
    }
    let end = dI.length;
    if (c < classes - 1) {
      const e = where.get(sB[(c + 1) * ns]);
      if (e === undefined || e <= pos) {
        throw new Error(`class block ${c + 1}: S_b not in D_i order`);
      }
      end = e;
    }
    const len = end - pos;
    if (!eq(dI, pos, dB, c * nb, Math.min(len, nb))) {
      throw new Error(`class block ${c}: D_i and D_b are not prefixes of one permutation`);
    }
    longTail.push(len);
    pos = end;
  }
  return { longTail, balanced: nb, fewShot: ns };
}
