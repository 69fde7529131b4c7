/**
 * `deno task cifar10-lt` with no split flag uses the paper's split 1 as the authors released
 * it. The data is a full-size CIFAR-10 binary folder (50,000 training images, so every index
 * of the authors' files exists) written here; labels follow split 1's class blocks, so the
 * per-class D_i counts the probes record must be the paper's 4500 → 45 profile.
 */
import assert from "node:assert/strict";
import { runTask } from "./_task.ts";
import { readResults, resultsPath } from "../../src/eval/results.ts";
import { nestedBlocks } from "../../src/data/split_check.ts";
import { readSplitIndices, resolveSplit } from "../../src/data/split_read.ts";
import { authorsManifest } from "../../src/data/authors_splits.ts";

/** Labels of 50,000 images: split 1's D_b and D_i blocks give their classes, others i % 10. */
function split1Labels(): Int32Array {
  const [di, db, sb] = ["D_i", "D_b", "S_b"].map((x) =>
    readSplitIndices(resolveSplit(`split1_${x}`, "cifar10"))
  );
  const labels = Int32Array.from({ length: 50000 }, (_, i) => i % 10);
  const { longTail, balanced } = nestedBlocks({ D_i: di, D_b: db, S_b: sb }, 10);
  let at = 0;
  longTail.forEach((n, c) => {
    for (let j = 0; j < n; j++) labels[di[at + j]] = c;
    at += n;
  });
  db.forEach((idx, j) => (labels[idx] = Math.floor(j / balanced)));
  return labels;
}

/** CIFAR binary records: label byte, then three 32×32 planes in a class colour. */
function records(labels: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(labels.length * 3073);
  for (let i = 0; i < labels.length; i++) {
    const o = i * 3073, c = labels[i];
    out[o] = c;
    for (let ch = 0; ch < 3; ch++) {
      const base = 30 + ((c * (ch + 3) * 37) % 200);
      out.fill(base + ((i * 13 + ch) % 23), o + 1 + ch * 1024, o + 1 + (ch + 1) * 1024);
    }
  }
  return out;
}

Deno.test({
  name: "cifar10-lt without a split flag runs on the paper's split 1 and records it",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "sdclr_paper_split_" });
    try {
      const data = `${tmp}/cifar-10-batches-bin`;
      await Deno.mkdir(data);
      const labels = split1Labels();
      for (let b = 0; b < 5; b++) {
        const part = labels.subarray(b * 10000, (b + 1) * 10000);
        await Deno.writeFile(`${data}/data_batch_${b + 1}.bin`, records(part));
      }
      await Deno.writeFile(
        `${data}/test_batch.bin`,
        records(Array.from({ length: 100 }, (_, i) => i % 10)),
      );
      const args = [
        ...["--epochs", "1", "--batch_size", "64", "--width", "4", "--max-steps", "1"],
        ...["--cached-features", "--max-train", "200", "--data", tmp, "--out", `${tmp}/runs`],
      ];
      const r = await runTask("cifar10-lt", args);
      assert.equal(r.code, 0, r.out);
      assert.match(
        r.out,
        /splits: split1_D_i\.npy\.gz: the paper's split, as the authors released it \(VITA-Group\/SDCLR@34c932e:split\/cifar10_imbSub_with_subsets\/split1_D_i\.npy\), sha256 cad730937a50/,
      );
      const want = authorsManifest().files.find((f) =>
        f.file === "cifar10_imbSub_with_subsets/split1_D_i.npy"
      )!;
      const runs = [...Deno.readDirSync(`${tmp}/runs/cifar10`)].filter((e) =>
        e.name !== "analysis"
      );
      assert.equal(runs.length, 1);
      const run = `${tmp}/runs/cifar10/${runs[0].name}`;
      assert.match(run, /_split1_D_i_/);
      for (const stage of ["linear", "fewshot"] as const) {
        const res = await readResults(resultsPath(run, stage)) as unknown as {
          splits: { source: string; sha256: string; files: Record<string, { source: string }> };
          train_counts: number[];
        };
        assert.equal(res.splits.source, "authors");
        assert.equal(res.splits.sha256, want.sha256);
        assert.ok(Object.values(res.splits.files).every((f) => f.source === "authors"));
        assert.deepEqual(
          [...res.train_counts].sort((a, b) => b - a),
          [4500, 2697, 1617, 969, 581, 348, 208, 125, 75, 45],
        );
      }
      const config = JSON.parse(await Deno.readTextFile(`${run}/pretrain/config.json`));
      assert.equal(config.splitFile.source, "authors");
      assert.equal(config.splitFile.sha256, want.sha256);
      const label = "simclr-e1-b64-w4-steps1-max200-cached";
      const md = await Deno.readTextFile(`${tmp}/runs/cifar10/analysis/${label}/analysis.md`);
      assert.match(md, new RegExp(`${label} split1: authors ${want.sha256}`));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
