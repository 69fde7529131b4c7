import assert from "node:assert/strict";
import { loadStateDict } from "../../src/io/checkpoint.ts";
import { loadTorch } from "../../src/io/torch_file.ts";
import type { TorchTensor } from "../../src/io/torch_types.ts";
import { allConvs, type ArchConfig, buildArch } from "../../src/nn/arch.ts";
import { expectedKeys, hostToTorch, inferArch, torchToHost } from "../../src/nn/state_dict.ts";
import { magnitudeMasks } from "../../src/nn/prune_cpu.ts";
import { loadGolden } from "../golden/golden.ts";

const FIX = new URL("../golden/fixtures/sdclr_steps/", import.meta.url).pathname;
const golden = loadGolden("sdclr_steps")[0];

const KEY_CASES: Record<string, ArchConfig> = {
  res50_dual_imagenet_w8_h3: {
    depth: 50,
    width: 8,
    stem: "imagenet",
    dualBn: true,
    headLayers: 3,
    projDim: 128,
  },
  res18_single_cifar_w16_h2: {
    depth: 18,
    width: 16,
    stem: "cifar",
    dualBn: false,
    headLayers: 2,
    projDim: 128,
  },
  res34_dual_cifar_w8_h3: {
    depth: 34,
    width: 8,
    stem: "cifar",
    dualBn: true,
    headLayers: 3,
    projDim: 128,
  },
};

Deno.test("state_dict: keys, order and shapes equal the PyTorch models'", () => {
  const keys = golden.params.keys as Record<string, Record<string, number[]>>;
  for (const [name, cfg] of Object.entries(KEY_CASES)) {
    const ours = [...expectedKeys(buildArch(cfg))];
    const ref = Object.entries(keys[name]);
    assert.deepEqual(ours, ref, name);
  }
});

function bitsEqual(a: TorchTensor, b: TorchTensor, key: string) {
  assert.equal(a.dtype, b.dtype, key);
  assert.deepEqual(a.shape, b.shape, key);
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  assert.deepEqual(x, y, key);
}

Deno.test("state_dict: PyTorch init imports, architecture inferred, export is bit-identical", async () => {
  for (const method of ["sdclr", "simclr"]) {
    const sd = await loadStateDict(`${FIX}${method}_init.pt`);
    const cfg = inferArch(sd);
    assert.deepEqual(cfg, {
      depth: 10,
      width: 8,
      stem: "cifar",
      dualBn: method === "sdclr",
      headLayers: method === "sdclr" ? 3 : 2,
      projDim: 128,
    });
    const arch = buildArch(cfg);
    const back = hostToTorch(arch, torchToHost(arch, sd));
    assert.deepEqual([...back.keys()], [...sd.keys()]);
    for (const [k, t] of sd) bitsEqual(back.get(k)!, t, k);
  }
});

Deno.test("state_dict: DDP-wrapped zip and legacy files load", async () => {
  const s1 = await loadStateDict(`${FIX}sdclr_step1.pt`);
  const s3 = await loadStateDict(`${FIX}simclr_step3.pt`);
  assert.equal(inferArch(s1).dualBn, true);
  assert.equal(inferArch(s3).headLayers, 2);
  assert.ok(s1.has("layer2.0.downsample.conv.weight"));
  assert.ok(s3.has("layer2.0.downsample.0.weight"));
});

Deno.test("state_dict: missing key and shape mismatch are named", async () => {
  const sd = await loadStateDict(`${FIX}sdclr_init.pt`);
  const arch = buildArch(inferArch(sd));
  const missing = new Map(sd);
  missing.delete("layer3.0.bn2.bn_list.1.running_var");
  assert.throws(
    () => torchToHost(arch, missing, { source: "x.pt" }),
    /layer3\.0\.bn2\.bn_list\.1\.running_var/,
  );
  const wide = buildArch({ ...inferArch(sd), width: 16 });
  assert.throws(() => torchToHost(wide, sd), /shape mismatch for 'conv1\.weight'/);
  const twoHead = buildArch({ ...inferArch(sd), headLayers: 2 });
  assert.throws(() => torchToHost(twoHead, sd), /fc\.fc3\.weight|fc\.fc2\.weight/);
});

Deno.test("state_dict: single-BN file imports into a dual-BN model (both sets copied)", async () => {
  const sd = await loadStateDict(`${FIX}simclr_init.pt`);
  const arch = buildArch({ ...inferArch(sd), dualBn: true });
  const host = torchToHost(arch, sd);
  for (const s of [0, 1]) {
    assert.deepEqual(
      host.tensors.get(`layer2.0.downsample.bn.bn_list.${s}.running_var`)!.data,
      sd.get("layer2.0.downsample.1.running_var")!.data,
    );
  }
  assert.deepEqual(
    host.tensors.get("layer2.0.downsample.conv.weight")!.data,
    sd.get("layer2.0.downsample.0.weight")!.data,
  );
});

Deno.test("prune: masks of the PyTorch init equal the reference (θ and every mask bit)", async () => {
  const sd = await loadStateDict(`${FIX}sdclr_init.pt`);
  const arch = buildArch(inferArch(sd));
  const convs = allConvs(arch);
  const res = magnitudeMasks(
    convs.map((c) => sd.get(`${c.name}.weight`)!.data as Float32Array),
    0.9,
  );
  const ref = await loadTorch(`${FIX}sdclr_masks.pt`) as Map<string, unknown>;
  const step1 = ref.get("step1") as Map<string, TorchTensor>;
  const theta = (ref.get("theta1") as TorchTensor).data[0];
  assert.equal(res.threshold, theta);
  convs.forEach((c, i) => assert.deepEqual(res.masks[i], step1.get(c.name)!.data, c.name));
  const kept = res.masks.reduce((a, m) => a + m.reduce((x, y) => x + y, 0), 0);
  assert.equal(kept, res.total - Math.min(Math.ceil(0.9 * res.total), res.total - 1));
});
