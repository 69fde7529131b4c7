import assert from "node:assert/strict";
import { writeNpy } from "../../src/io/npy.ts";
import { syntheticImages } from "../train/_synthetic.ts";

const script = new URL("../../scripts/augment_preview.ts", import.meta.url).pathname;

async function preview(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const r = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    env: { XDG_RUNTIME_DIR: "/tmp" },
  }).output();
  const dec = new TextDecoder();
  return { code: r.code, out: dec.decode(r.stdout), err: dec.decode(r.stderr) };
}

Deno.test("augment-preview --bcl-strength: boosted views, their ops listed; weight 0 boosts nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "preview_" });
  try {
    await writeNpy(`${dir}/x.npy`, syntheticImages(3, 24, 4), [3, 24, 24, 3]);
    const base = ["--input", `${dir}/x.npy`, "--index", "2", "--views", "6", "--size", "24"];
    const r = await preview([...base, "--bcl-strength", "30", "--out", `${dir}/b.png`]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /BCL strength 30, weight 1, k 1/);
    const lines = r.out.split("\n").filter((l) => l.startsWith("  view "));
    assert.equal(lines.length, 6);
    // Weight 1: every view's one drawn op applies.
    assert.ok(lines.every((l) => / BCL [A-Z]/.test(l)), r.out);
    assert.ok(Deno.statSync(`${dir}/b.png`).size > 100);
    const none = await preview([
      ...base,
      "--bcl-strength",
      "30",
      "--bcl-weight",
      "0",
      "--out",
      `${dir}/n.png`,
    ]);
    assert.equal(none.code, 0, none.err);
    assert.ok(!/ BCL [A-Z]/.test(none.out), none.out);
    const bad = await preview([...base, "--bcl-k", "2", "--out", `${dir}/x.png`]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /add --bcl-strength S/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
