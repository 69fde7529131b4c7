import assert from "node:assert/strict";
import {
  commandLine,
  gitState,
  isInside,
  loadedPath,
  provenance,
  provenanceLine,
  runRootOf,
  storedPath,
} from "../src/provenance.ts";

Deno.test("record paths: inside the run folder relative to the record, outside absolute", () => {
  const run = "/r/runs/cifar10/X";
  // config.json in <run>/pretrain: the run folder is its parent.
  assert.equal(runRootOf(`${run}/pretrain`), run);
  assert.equal(runRootOf(`${run}/linear/`), run);
  assert.equal(runRootOf("/r/runs/try"), "/r/runs/try");
  assert.equal(storedPath(`${run}/subset.npy`, `${run}/pretrain`, run), "../subset.npy");
  assert.equal(storedPath(`${run}/pretrain/ck.pt`, `${run}/linear`, run), "../pretrain/ck.pt");
  assert.equal(storedPath("/data/cifar10", `${run}/pretrain`, run), "/data/cifar10");
  assert.equal(
    storedPath("/r/runs/cifar10/Y/a.npy", `${run}/pretrain`, run),
    "/r/runs/cifar10/Y/a.npy",
  );
  assert.equal(loadedPath("../subset.npy", "/moved/X/pretrain"), "/moved/X/subset.npy");
  assert.equal(loadedPath("/data/cifar10", "/moved/X/pretrain"), "/data/cifar10");
  assert.ok(isInside("/a/b/c", "/a/b") && isInside("/a/b", "/a/b"));
  assert.ok(!isInside("/a/bc", "/a/b") && !isInside("/a", "/a/b"));
});

Deno.test("provenance: command line quoted for the shell; git state; one log line", async () => {
  assert.equal(
    commandLine("pretrain", ["--out", "my runs/a", "--lr", "0.5"]),
    "deno task pretrain --out 'my runs/a' --lr 0.5",
  );
  const g = await gitState();
  // A checkout (this one) or a copy without .git (CI): never an error, never another repo.
  assert.ok(/^[0-9a-f]{40}$/.test(g.commit) || g.commit === "unknown", g.commit);
  assert.ok(typeof g.dirty === "boolean" || g.dirty === "unknown");
  const p = await provenance({
    task: "linear",
    args: ["--seed", "3"],
    cwd: "/w",
    seed: 3,
    gpu: false,
  });
  assert.equal(p.adapter, "none");
  assert.equal(p.seed, 3);
  assert.equal(p.deno, Deno.version.deno);
  assert.equal(p.command, "deno task linear --seed 3");
  assert.match(provenanceLine(p), /^commit .* · deno \d+\.\d+\.\d+ · none · host .* · seed 3$/);
});
