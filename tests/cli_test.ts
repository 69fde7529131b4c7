import assert from "node:assert/strict";
import { UserError } from "../core/errors.ts";
import {
  type CommandSpec,
  helpText,
  parseCommand,
  parseNumber,
  takeConfigFlag,
  userPath,
} from "../src/cli.ts";

const spec: CommandSpec = {
  name: "t",
  description: "test",
  options: {
    seed: { type: "string", default: "1", help: "seed" },
    batch_size: {
      type: "string",
      short: "b",
      default: "512",
      help: "batch",
      aliases: ["batch-size"],
    },
    "dual-bn": { type: "boolean", help: "dual BN" },
    lr: { type: "string", help: "lr" },
  },
};

Deno.test("parseCommand: aliases, negative numbers as values, given options, last flag wins", () => {
  const p = parseCommand(spec, ["--batch-size", "64", "--seed", "-1", "--dual-bn", "--no-dual-bn"]);
  assert.equal(p.batch_size, "64");
  assert.equal(p.seed, "-1");
  assert.equal(p["dual-bn"], false);
  assert.deepEqual(p.given.sort(), ["batch_size", "dual-bn", "seed"]);
  assert.equal(p.lr, undefined);
  assert.equal(parseCommand(spec, ["--no-dual-bn", "--dual-bn"])["dual-bn"], true);
  assert.equal(parseCommand(spec, ["-b", "-3"]).batch_size, "-3");
  assert.equal(parseCommand(spec, ["--lr=-0.5"]).lr, "-0.5");
  assert.deepEqual(parseCommand(spec, []).given, []);
  assert.equal(parseCommand(spec, []).seed, "1");
  assert.throws(() => parseCommand(spec, ["--nope"]), UserError);
  assert.match(helpText(spec), /--batch_size, --batch-size <value>/);
});

Deno.test("parseNumber: the one numeric parser and its range messages", () => {
  assert.equal(parseNumber("x", "0.5", { min: 0, below: 1 }), 0.5);
  const bad = (raw: string, r: Parameters<typeof parseNumber>[2], re: RegExp) =>
    assert.throws(
      () => parseNumber("x", raw, r),
      (e) => e instanceof UserError && re.test(e.message),
    );
  bad("2", { above: 0, max: 1 }, /^--x must be in \(0, 1\], got 2$/);
  bad("0", { above: 0, max: 1 }, /in \(0, 1\]/);
  bad("1", { min: 0, below: 1 }, /^--x must be in \[0, 1\), got 1$/);
  bad("-1", { int: true, min: 0 }, /^--x must be ≥ 0, got -1$/);
  bad("1.5", { int: true }, /^--x expects an integer, got "1.5"$/);
  bad("abc", {}, /^--x expects a number, got "abc"$/);
  bad("", {}, /expects a number/);
  bad("7", { max: 5 }, /≤ 5/);
});

Deno.test("takeConfigFlag and userPath: replay file out of the arguments, caller-relative", () => {
  const r = takeConfigFlag(
    ["--epochs", "3", "--config", "run/config.json", "--lr", "1"],
    "/home/u",
  );
  assert.equal(r.file, "/home/u/run/config.json");
  assert.deepEqual(r.rest, ["--epochs", "3", "--lr", "1"]);
  assert.equal(takeConfigFlag(["--config=/a/b.json"], "/x").file, "/a/b.json");
  assert.equal(takeConfigFlag(["--lr", "1"]).file, undefined);
  assert.throws(() => takeConfigFlag(["--config"]), UserError);
  assert.throws(() => takeConfigFlag(["--config", "a", "--config", "b"]), UserError);
  assert.equal(userPath("d/x.npy", "/w"), "/w/d/x.npy");
  assert.equal(userPath("/abs", "/w"), "/abs");
  assert.equal(userPath(undefined, "/w"), undefined);
});
