import { engine, initEngine } from "../../src/gpu/engine.ts";
import { embed, inputImages, loadForInference, preparePruned } from "../../src/nn/embed.ts";
import { readNpy } from "../../src/io/npy.ts";
await initEngine({ quiet: true });
const FIX = "tests/golden/fixtures/sdclr_steps/";
const images = inputImages(await readNpy(`${FIX}embed_input.npy`), "x");
let t = performance.now();
for (const m of ["sdclr", "simclr"]) {
  const l = await loadForInference(`${FIX}${m}_step3.pt`);
  for (const output of ["backbone", "head"] as const) {
    for (const batch of [3, 128]) {
      await embed(l.model, images, { branch: "dense", output, batch });
      console.log(m, output, batch, (performance.now() - t).toFixed(0), engine().compiledKernels().length);
      t = performance.now();
    }
  }
  if (m === "sdclr") {
    await preparePruned(l, 0.9, "x");
    await embed(l.model, images, { branch: "pruned", output: "head" });
    console.log(m, "pruned", (performance.now() - t).toFixed(0), engine().compiledKernels().length);
    t = performance.now();
  }
}
console.log(engine().compiledKernels().map((k) => k.name).join("\n"));
