/**
 * `deno task imagenet100-lt`: the authors' imagenet-100-res50-LT.sh pipeline (pretraining, linear probe, few-shot
 * probe, analysis) with the same options; see `deno task imagenet100-lt --help` and
 * src/pipeline/lt_pipeline.ts.
 * @module
 */
import { runMain } from "../src/cli.ts";
import { runPipeline } from "../src/pipeline/lt_pipeline.ts";

if (import.meta.main) {
  await runMain(async () => {
    const code = await runPipeline(
      "imagenet100-lt",
      Deno.args,
      Deno.env.get("INIT_CWD") ?? Deno.cwd(),
    );
    if (code !== 0) Deno.exit(code);
  });
}
