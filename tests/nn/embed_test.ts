import assert from "node:assert/strict";
import { initEngine } from "../../core/engine.ts";
import { loadCheckpoint, saveCheckpoint } from "../../src/io/checkpoint.ts";
import { readNpy } from "../../src/io/npy.ts";
import { buildArch } from "../../src/nn/arch.ts";
import { embed, inputImages, loadForInference, preparePruned } from "../../src/nn/embed.ts";
import { initState } from "../../src/nn/init.ts";
import { pruneModel } from "../../src/nn/prune.ts";
import { ResNet } from "../../src/nn/resnet.ts";
import { hostToTorch, torchToHost } from "../../src/nn/state_dict.ts";
import { assertClose } from "../../core/testing.ts";
import { loadGolden } from "../golden/golden.ts";

await initEngine({ quiet: true });

const FIX = new URL("../golden/fixtures/sdclr_steps/", import.meta.url).pathname;
const golden = loadGolden("sdclr_steps")[0];

Deno.test("embed: PyTorch-written checkpoints give PyTorch's eval-mode features", async () => {
  const images = inputImages(await readNpy(`${FIX}embed_input.npy`), "embed_input.npy");
  for (const method of ["sdclr", "simclr"]) {
    const l = await loadForInference(`${FIX}${method}_step3.pt`);
    for (const output of ["backbone", "head"] as const) {
      const r = await embed(l.model, images, { branch: "dense", output, batch: 3 });
      assertClose(
        `${method} dense ${output}`,
        r.data,
        golden.tensors[`${method}_embed_${output}`].data,
      );
    }
    if (method === "sdclr") {
      await preparePruned(l, 0.9, "sdclr_step3.pt");
      for (const output of ["backbone", "head"] as const) {
        const r = await embed(l.model, images, { branch: "pruned", output });
        const ref = golden.tensors[`sdclr_embed_pruned_${output}`].data;
        assertClose(`sdclr pruned ${output}`, r.data, ref);
      }
    } else {
      await assert.rejects(() => preparePruned(l, null, "simclr_step3.pt"), /--prune-percent/);
    }
    l.model.dispose();
  }
});

function bytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

Deno.test("checkpoint: export → import is bit-identical (weights, both BN sets, masks)", async () => {
  const cfg = {
    depth: 50 as const,
    width: 4,
    stem: "imagenet" as const,
    dualBn: true,
    headLayers: 3 as const,
    projDim: 16,
  };
  const arch = buildArch(cfg);
  const host = initState(arch, 11);
  for (const [k, t] of host.tensors) {
    if (k.includes("running_var")) t.data.forEach((_, i) => (t.data[i] = 1 + 0.01 * i));
  }
  host.counters.set("layer3.2.bn1.bn_list.1.num_batches_tracked", 17);
  const model = new ResNet(cfg, host);
  const masks = await pruneModel(model, 0.7);
  const dir = await Deno.makeTempDir({ prefix: "embed_test_" });
  try {
    const path = `${dir}/ck.pt`;
    const h1 = await model.toHost();
    await saveCheckpoint(path, {
      stateDict: hostToTorch(arch, h1),
      momentum: new Map(),
      masks: new Map(
        [...masks.byName].map(([k, m]) => [k, { dtype: "bool", shape: [m.length], data: m }]),
      ),
      epoch: 0,
      step: 0,
      rng: [],
      config: null,
    });
    const ck = await loadCheckpoint(path);
    const back = torchToHost(arch, ck.stateDict);
    for (const [k, t] of h1.tensors) {
      assert.deepEqual(bytes(back.tensors.get(k)!.data), bytes(t.data), k);
    }
    assert.deepEqual(back.counters, h1.counters);
    const l = await loadForInference(path);
    assert.deepEqual(l.model.config, cfg);
    for (const [k, m] of masks.byName) assert.deepEqual(l.storedMasks!.get(k), m, k);
    const h2 = await l.model.toHost();
    for (const [k, t] of h1.tensors) {
      assert.deepEqual(bytes(h2.tensors.get(k)!.data), bytes(t.data), k);
    }
    // A 32×32 input through the ImageNet stem and Bottleneck blocks, both branches.
    const x = {
      data: new Float32Array(2 * 3 * 32 * 32).map((_, i) => (i % 97) / 97),
      shape: [2, 3, 32, 32],
    };
    await preparePruned(l, null, path);
    const d = await embed(l.model, x, { branch: "dense", output: "head" });
    const p = await embed(l.model, x, { branch: "pruned", output: "backbone" });
    assert.equal(d.dim, 16);
    assert.equal(p.dim, 4 * 8 * 4);
    assert.ok(d.data.every(Number.isFinite) && p.data.every(Number.isFinite));
    l.model.dispose();
  } finally {
    model.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
