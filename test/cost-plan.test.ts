import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { main } from "../automation/plan/cli";
import { modelCatalog } from "../components/catalog";
import { planCost } from "../automation/plan/cost";
import { loadStackConfig } from "../automation/plan/stack-file";
import type { CostEstimate, StackCost } from "../components/cost";
import { weightBytes } from "../components/sizing/memory";

const STACKS = path.join(__dirname, "..", "stacks");

async function quietly(run: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const [o, e] = [process.stdout.write.bind(process.stdout), process.stderr.write.bind(process.stderr)];
  process.stdout.write = ((s: string) => (out.push(s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => (err.push(s), true)) as typeof process.stderr.write;
  try {
    return { code: await run(), out: out.join(""), err: err.join("") };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe("plan: cost and --compare", function () {
  this.timeout(180000);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "cost-plan-"));

  it("shows prod's cost at min/desired/max with sources, and the delta of a pool change with --compare", async () => {
    const before = await quietly(() => main(["prod", "--stacks-dir", STACKS, "--out", path.join(tmp, "before"), "--no-policies"]));
    assert.strictEqual(before.code, 0, before.err);
    // prod's Karpenter pool has no minimum, and reaches its steps' sum: reservation 2 + on-demand 4 + spot 2 nodes.
    assert.match(before.out, /Cost: per month \(aws us-east-1, 730 h\): min ≥ \$98\.55 .*; desired ≥ \$98\.55 .*; max ≥ \$321,532 \(unknown: system nodes, load balancer, snapshot storage\)/);
    assert.match(before.out, /source: 109 — What an H100 actually costs per hour: hyperscalers\.json \(data-receipts\) \(2026-11-09\) https:\/\/raw\.githubusercontent\.com\/datareceipts\//);
    const summary = JSON.parse(fs.readFileSync(path.join(tmp, "before", "summary.json"), "utf8")) as { cost: { estimate: { pools: { max: { nodes: number } }[] }; quotas: { needs: { quota: string; needed: number }[] } } };
    assert.strictEqual(summary.cost.estimate.pools[0].max.nodes, 8);
    // Every step can run at once: reservation + on-demand (6 × 192 vCPUs) on the on-demand P quota, spot (2 × 192) on the spot one.
    assert.deepStrictEqual(summary.cost.quotas.needs.map((n) => [n.quota, n.needed]), [["L-417A185B", 1152], ["L-7212CCBC", 384], ["L-1216C47A", 24]]);

    const grown = path.join(tmp, "stacks");
    fs.mkdirSync(grown, { recursive: true });
    fs.writeFileSync(path.join(grown, "Pulumi.prod.yaml"), fs.readFileSync(path.join(STACKS, "Pulumi.prod.yaml"), "utf8").replace("        maxNodes: 4\n", "        maxNodes: 6\n"));
    const after = await quietly(() => main(["prod", "--stacks-dir", grown, "--out", path.join(tmp, "after"), "--no-policies", "--compare", path.join(tmp, "before", "summary.json")]));
    assert.strictEqual(after.code, 0, after.err);
    // The on-demand step follows the pool's maxNodes.
    assert.match(after.out, /\+\$80,358\/month at max scale: pool h100 max 8 → 10/);
    const md = fs.readFileSync(path.join(tmp, "after", "summary.md"), "utf8");
    assert.match(md, /\*\*\+\$80,358\/month at max scale: pool h100 max 8 → 10/);
  });

  it("sizes the snapshot bucket by the checkpoint as published; the program's cost output is what deploy preview computes from the stack file", async () => {
    const r = await quietly(() => main(["dev", "--stacks-dir", STACKS, "--out", path.join(tmp, "dev"), "--no-policies", "--quiet"]));
    assert.strictEqual(r.code, 0, r.err);
    const summary = JSON.parse(fs.readFileSync(path.join(tmp, "dev", "summary.json"), "utf8")) as { cost: { estimate: CostEstimate }; outputs: { cost: StackCost } };
    // dev serves Qwen3-8B at fp8; the bucket holds its bf16 checkpoint (8.19 B parameters × 2 bytes).
    const storage = summary.cost.estimate.fixed.find((f) => f.item === "snapshot storage");
    assert.strictEqual(storage?.max.quantity, Math.ceil(weightBytes(modelCatalog["qwen3-8b"]) / 1e9));
    assert.strictEqual(storage?.max.quantity, 17);
    assert.deepStrictEqual(summary.cost, summary.outputs.cost);
    const fromFile = planCost(loadStackConfig(STACKS, "dev"));
    assert.ok(fromFile.ok);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(fromFile.cost)), summary.outputs.cost);
  });

  it("refuses --compare with a file that has no cost estimate (usage error)", async () => {
    const bad = path.join(tmp, "bad.json");
    fs.writeFileSync(bad, "{}");
    const r = await quietly(() => main(["local", "--stacks-dir", STACKS, "--out", path.join(tmp, "local"), "--no-policies", "--compare", bad]));
    assert.strictEqual(r.code, 2);
    assert.match(r.err, /--compare .*bad\.json: has no cost\.estimate/);
  });

  it("refuses a throughput for a model the stack lacks as a config problem (exit 1)", async () => {
    const dir = path.join(tmp, "thr");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), `${fs.readFileSync(path.join(STACKS, "Pulumi.local.yaml"), "utf8")}\n  llm-platform:cost:\n    throughput:\n      nope: { outputTokensPerSecond: 100 }\n`);
    const r = await quietly(() => main(["local", "--stacks-dir", dir, "--out", path.join(tmp, "thr-out"), "--no-policies"]));
    assert.strictEqual(r.code, 1, r.err);
    assert.match(r.err, /llm-platform:cost\.throughput\.nope: names no model of the stack/);
  });

  it("refuses a cost value that is a plain string as a config problem (exit 1)", async () => {
    const dir = path.join(tmp, "str");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "Pulumi.local.yaml"), `${fs.readFileSync(path.join(STACKS, "Pulumi.local.yaml"), "utf8")}\n  llm-platform:cost: cheap\n`);
    const r = await quietly(() => main(["local", "--stacks-dir", dir, "--out", path.join(tmp, "str-out"), "--no-policies"]));
    assert.strictEqual(r.code, 1, r.err);
    assert.match(r.err, /nothing was registered:\n {2}llm-platform:cost: must be a structured value \(a YAML map\), not a plain string\n/);
  });
});
