/**
 * Invalid invocations fail with one `error:` line, exit 1, and leave nothing behind: every
 * flag and input file is checked before a run folder (or any other output) is made. Each
 * command runs from an empty folder, as a user would type it there.
 */
import assert from "node:assert/strict";
import { runTask } from "./_task.ts";

/** [task, args, what the error line must say]. */
const CASES: [string, string[], RegExp][] = [
  ["pretrain", [], /no training data: give --dataset NAME/],
  ["pretrain", ["--dataset", "cifar10", "--data", "nowhere"], /CIFAR-10 not found: .*nowhere/],
  ["pretrain", ["--data", "x.npy", "--epochs", "0"], /--epochs must be ≥ 1, got 0/],
  [
    "pretrain",
    ["--data", "x.npy", "--prune-percent", "1.5"],
    /--prune-percent must be in \[0, 1\)/,
  ],
  ["pretrain", ["--data", "missing.npy"], /missing\.npy: file not found/],
  ["pretrain", ["--data", "x.npy", "--init", "none.pt"], /--init .*none\.pt: no such file/],
  ["pretrain", ["--config", "old/config.json"], /--config .*old\/config\.json: not found/],
  ["pretrain", ["--data", "x.npy", "--knn-max-train", "9"], /--knn-max-train needs --knn-every/],
  ["pretrain", ["--data", "x.npy", "--bcl-k", "2"], /--bcl-k set BCL: add --bcl/],
  ["pretrain", ["--data", "x.npy", "--bcl", "--bcl-strength", "40"], /must be in \[0, 30\]/],
  ["pretrain", ["--data", "x.npy", "--tau-period", "9"], /add --tau-schedule cosine/],
  ["demo", ["--methods", "simclr,moco"], /--methods "simclr,moco": expected a list of/],
  ["demo", ["--fraction", "2"], /--fraction must be in \(0, 1\], got 2/],
  ["demo", ["--split", "7"], /--split must be in \[1, 5\], got 7/],
  ["cifar10-lt", ["--splits", "7"], /--splits 7: only splits 1–5 exist/],
  ["cifar10-lt", ["--prune_dual_bn", "True"], /--prune_dual_bn True needs --prune True/],
  ["cifar10-lt", ["--data", "nowhere"], /CIFAR-10 not found: .*nowhere/],
  ["linear", ["--checkpoint", "none.pt", "--dataset", "cifar10"], /none\.pt: file not found/],
  ["splits", ["--seed", "-1"], /--seed must be ≥ 0, got -1/],
  ["embed", ["--checkpoint", "a.pt", "--input", "b.npy", "--out", "c.npy"], /b\.npy/],
];

Deno.test({
  name: "invalid invocations: one error line, exit 1, no folder or file created",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cwd = await Deno.makeTempDir({ prefix: "sdclr_invalid_" });
    try {
      // A valid images file, so that only the flag under test is wrong.
      await Deno.writeFile(`${cwd}/x.npy`, npyU8([4, 8, 8, 3]));
      for (const [task, args, want] of CASES) {
        const r = await runTask(task, args, { cwd });
        const what = `deno task ${task} ${args.join(" ")}`;
        assert.equal(r.code, 1, `${what}: exit ${r.code}\n${r.out}`);
        const errors = r.out.split("\n").filter((l) => l.startsWith("error: "));
        assert.equal(errors.length, 1, `${what}: ${r.out}`);
        assert.match(errors[0], want, what);
        assert.ok(!/^\s+at /m.test(r.out), `${what}: printed a stack trace\n${r.out}`);
        const left = [...Deno.readDirSync(cwd)].map((e) => e.name);
        assert.deepEqual(left, ["x.npy"], `${what} left ${left.join(", ")}`);
      }
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});

/** A uint8 .npy of zeros with the given shape. */
function npyU8(shape: number[]): Uint8Array {
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${shape.join(", ")}), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = dict + " ".repeat(pad) + "\n";
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(10 + header.length + n);
  out.set([
    0x93,
    ...new TextEncoder().encode("NUMPY"),
    1,
    0,
    header.length & 255,
    header.length >> 8,
  ]);
  out.set(new TextEncoder().encode(header), 10);
  return out;
}
