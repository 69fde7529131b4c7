import assert from "node:assert/strict";
import { parsePipelineArgs } from "../../src/pipeline/options.ts";
import { ensureGeneratedSplits, type LabelSource } from "../../src/pipeline/auto_splits.ts";
import { readSplit } from "../../src/data/split_read.ts";

/** CIFAR-10-sized training labels (5,000 per class, interleaved) without any pixels. */
const fakeCifar10: LabelSource = () => ({
  labels: Int32Array.from({ length: 50_000 }, (_, i) => (i * 7) % 10),
  source: "fake labels",
});

Deno.test("cifar10-lt --split-source generated makes our splits on first use", async () => {
  const root = await Deno.makeTempDir({ prefix: "auto_splits_" });
  try {
    // By default the authors' shipped files are used: nothing to generate.
    const paper = parsePipelineArgs("cifar10-lt", ["--split", "split1_D_i"], root);
    assert.equal(await ensureGeneratedSplits(paper, () => assert.fail("no labels"), root), null);
    const args = ["--split", "split1_D_i", "--split-source", "generated"];
    const c = parsePipelineArgs("cifar10-lt", args, root);
    const note = await ensureGeneratedSplits(c, fakeCifar10, root);
    assert.match(note ?? "", /generated our cifar10 splits \(seed 1.*fake labels/);
    const manifest = JSON.parse(await Deno.readTextFile(`${root}/cifar10/manifest.json`));
    assert.equal(manifest.dataset, "cifar10");
    assert.equal(manifest.seed, 1);
    assert.equal(manifest.labels.source, "fake labels");
    // The sizes of the authors' CIFAR-10 files (docs/method.md §1).
    const names = (await Array.fromAsync(Deno.readDir(`${root}/cifar10`))).map((e) => e.name);
    const size = (kind: string) => {
      const f = names.find((n) => n.endsWith(`split1_${kind}.npy`))!;
      const s = readSplit(`${root}/cifar10/${f}`);
      return s.kind === "indices" ? s.indices.length : -1;
    };
    assert.deepEqual([size("D_i"), size("D_b"), size("S_b")], [11165, 11160, 450]);
    // Present now: nothing is regenerated.
    assert.equal(await ensureGeneratedSplits(c, fakeCifar10, root), null);
    // With --split-dir the user's files are used as they are.
    const own = parsePipelineArgs("cifar10-lt", ["--split-dir", root], root);
    assert.equal(
      await ensureGeneratedSplits(own, () => assert.fail("no labels needed"), root),
      null,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
