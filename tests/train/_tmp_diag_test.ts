import { rules } from "../../src/autodiff/rules.ts";
import { convRules } from "../../kernels/conv2d/mod.ts";
Object.assign(rules, convRules);
import { initEngine } from "../../src/gpu/engine.ts";
import { Tensor } from "../../src/autodiff/tensor.ts";
import { loadStateDict } from "../../src/io/checkpoint.ts";
import { loadTorch } from "../../src/io/torch_file.ts";
import type { TorchTensor } from "../../src/io/torch_types.ts";
import { allConvs, buildArch } from "../../src/nn/arch.ts";
import { pruneModel } from "../../src/nn/prune.ts";
import { ResNet } from "../../src/nn/resnet.ts";
import { inferArch, torchToHost } from "../../src/nn/state_dict.ts";
import { makeSgd } from "../../src/train/optim_ops.ts";
import { lrAt } from "../../src/train/schedule.ts";
import { trainStep } from "../../src/train/steps.ts";
import { errors } from "../../src/testing/compare.ts";
import { loadGolden } from "../golden/golden.ts";
await initEngine({ quiet: true });
const FIX = "tests/golden/fixtures/sdclr_steps/";
const golden = loadGolden("sdclr_steps")[0];
const C = golden.params.config as Record<string, number>;
Deno.test("diag", async () => {
  const sd = await loadStateDict(`${FIX}sdclr_init.pt`);
  const cfg = inferArch(sd);
  const model = new ResNet(cfg, torchToHost(buildArch(cfg), sd));
  const opt = makeSgd(model.namedParameters(), C.momentum, C.weight_decay);
  const refMasks = await loadTorch(`${FIX}sdclr_masks.pt`) as Map<string, unknown>;
  const sched = { lr: C.lr, epochs: C.epochs, itersPerEpoch: C.iters_per_epoch, warmupEpochs: C.warmup_epochs, minLr: C.min_lr };
  const per = C.batch * 3 * C.size * C.size;
  const shape = [C.batch, 3, C.size, C.size];
  let masks: Map<string, Uint8Array> = new Map();
  for (let it = 0; it < 3; it++) {
    if (it % 2 === 0) {
      const r = await pruneModel(model, C.prune);
      masks = r.byName;
      const ref = refMasks.get(`step${it + 1}`) as Map<string, TorchTensor>;
      let flips = 0;
      for (const [k, m] of masks) { const b = ref.get(k)!.data; for (let i = 0; i < m.length; i++) if (m[i] !== b[i]) { flips++; console.log("flip", k, i); } }
      console.log("step", it + 1, "theta", r.threshold, (refMasks.get(`theta${it+1}`) as TorchTensor).data[0], "flips", flips);
    }
    const x1 = Tensor.from(golden.tensors.x1.data.slice(it * per, (it + 1) * per), shape);
    const x2 = Tensor.from(golden.tensors.x2.data.slice(it * per, (it + 1) * per), shape);
    const loss = trainStep("sdclr", model, opt, x1, x2, lrAt(it, sched), C.temperature);
    console.log("loss", (await loss.read())[0], golden.tensors.sdclr_loss.data[it]);
    {
      const ref = torchToHost(model.arch, await loadStateDict(it === 1 ? '/tmp/sdclr_step2.pt' : `${FIX}sdclr_step${it + 1}.pt`));
      const ours = await model.toHost();
      const rows: [string, number][] = [];
      for (const [k, r] of ref.tensors) rows.push([k, errors(ours.tensors.get(k)!.data, r.data).maxRel]);
      rows.sort((a, b) => b[1] - a[1]);
      console.log(rows.slice(0, 8).map(([k, v]) => `${k} ${v.toExponential(2)}`).join("\n"));
      if (it === 2) {
        const k = "layer1.0.bn1.bn_list.0.bias";
        const a = ours.tensors.get(k)!.data, b = ref.tensors.get(k)!.data;
        let bi = 0; for (let i = 0; i < a.length; i++) if (Math.abs(a[i]-b[i]) > Math.abs(a[bi]-b[bi])) bi = i;
        console.log("worst idx", bi, a[bi], b[bi], Array.from(a), Array.from(b));
      }
    }
  }
});
