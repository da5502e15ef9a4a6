import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../automation/plan/cli";

// A corpus of stacks a user could plausibly write, each wrong in one or more ways. Each file says
// in its header what is wrong (`# expect:` the config paths every run must name, `# not:` paths it
// must not blame, `# exit:` when the code is not 1). `plan` must refuse each one with every
// problem named by its path, and write nothing.

const CORPUS = path.join(__dirname, "fixtures", "bad-stacks");

interface Expectation {
  readonly stack: string;
  readonly why: string;
  readonly paths: string[];
  readonly notPaths: string[];
  readonly exitCodes: number[];
}

function header(text: string, key: string): string | undefined {
  return new RegExp(`^# ${key}: (.+)$`, "m").exec(text)?.[1].trim();
}

function corpus(): Expectation[] {
  return fs
    .readdirSync(CORPUS)
    .flatMap((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1] ?? [])
    .sort()
    .map((stack) => {
      const text = fs.readFileSync(path.join(CORPUS, `Pulumi.${stack}.yaml`), "utf8");
      const list = (key: string) => (header(text, key) ?? "").split(",").map((p) => p.trim()).filter((p) => p !== "");
      const exit = header(text, "exit") ?? "1";
      return {
        stack,
        why: /^# (.+)$/m.exec(text)?.[1] ?? stack,
        paths: list("expect"),
        notPaths: list("not"),
        exitCodes: exit.split(/ or /).map(Number),
      };
    });
}

/** Runs `plan` on one stack of the corpus, capturing what it prints on stderr. */
async function plan(stack: string, out: string): Promise<{ code: number; stderr: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let stderr = "";
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    return true;
  }) as typeof process.stderr.write;
  try {
    const code = await main([stack, "--stacks-dir", CORPUS, "--out", out, "--quiet"]);
    return { code, stderr };
  } finally {
    process.stderr.write = write;
  }
}

describe("a corpus of bad stacks", () => {
  const cases = corpus();

  it("holds at least 40 stacks, each naming what it expects", () => {
    assert.ok(cases.length >= 40, `only ${cases.length} bad stacks`);
    for (const c of cases) {
      assert.ok(c.paths.length > 0, `${c.stack} has no '# expect:' line`);
    }
  });

  for (const c of cases) {
    it(`refuses ${c.stack}: ${c.why}`, async () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bad-stack-")), "out");
      const { code, stderr } = await plan(c.stack, out);
      assert.ok(c.exitCodes.includes(code), `exit ${code}, expected ${c.exitCodes.join(" or ")}:\n${stderr}`);
      // Config problems are listed one per line as "  <path>: <message>"; stack-file errors name the key.
      const named = (p: string) => stderr.includes(code === 1 ? `  ${p}: ` : p);
      for (const p of c.paths) {
        assert.ok(named(p), `${p} is not named:\n${stderr}`);
      }
      for (const p of c.notPaths) {
        assert.ok(!stderr.includes(`  ${p}: `), `${p} is blamed although it is right:\n${stderr}`);
      }
      assert.ok(!fs.existsSync(out), `plan wrote ${out} for a refused stack`);
    });
  }
});
