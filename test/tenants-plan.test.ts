import * as assert from "assert";
import * as path from "path";
import { renderSummaryMarkdown, renderSummaryText, summarize } from "../automation/plan/render";
import { runPlan } from "../automation/plan/run";
import { planFiles } from "../automation/plan/write";
import { prioritySummary, quotaSummary } from "../components/tenants/usage";

const STACKS = path.resolve(__dirname, "..", "stacks");

describe("plan: tenants", () => {
  it("words a priority by what the endpoint picker does with it", () => {
    assert.strictEqual(prioritySummary(undefined), "default (0)");
    assert.strictEqual(prioritySummary(-5), "-5 (shed when a pool is saturated)");
    assert.strictEqual(prioritySummary(0), "0 (not shed)");
    assert.strictEqual(prioritySummary(7), "7 (not shed)");
  });

  it("words each tenant's ceilings", () => {
    assert.strictEqual(quotaSummary({}), "unlimited");
    assert.strictEqual(
      quotaSummary({ requests: { perMinute: 60, perDay: 1000 }, inputTokens: { perHour: 5 }, outputTokens: { perDay: 7 }, totalTokens: { perMinute: 9 } }),
      "requests 60/min, 1000/day; input tokens 5/h; output tokens 7/day; total tokens 9/min",
    );
  });

  it("lists prod's tenants with their credential, models and limits, and says where they call", async function () {
    this.timeout(300000);
    const run = await runPlan(STACKS, "prod");
    assert.ok(run.ok);
    const summary = summarize("prod", run.resources, run.outputs);
    assert.deepStrictEqual(summary.tenants, [
      ["tenant", "credential", "models", "limits", "priority"],
      ["search", "API key (tenantKeys.search)", "Qwen/Qwen3-32B", "requests 600/min, 500000/day; total tokens 400000/min, 200000000/day", "-1 (shed when a pool is saturated)"],
      ["support-bot", "API key (tenantKeys.support-bot)", "meta-llama/Llama-3.1-70B-Instruct, Qwen/Qwen3-32B", "requests 120/min; input tokens 4000000/h; output tokens 1000000/h, 12000000/day", "default (0)"],
    ]);
    // search's priority is an InferenceObjective on qwen3-32b's pool, named by the Lua policy on the tenants' route.
    const kinds = run.resources.map((r) => r.inputs as { kind?: string; metadata?: { name?: string } }).filter((o) => o.kind === "InferenceObjective" || o.kind === "EnvoyExtensionPolicy");
    assert.deepStrictEqual(kinds.map((o) => `${o.kind}/${o.metadata?.name}`).sort(), ["EnvoyExtensionPolicy/llm-tenants", "InferenceObjective/search.qwen3-32b"]);
    assert.match(renderSummaryText(summary), /^Tenants \(https:\/\/llm\.example\.com\/v1, header Authorization: Bearer <API key or JWT>; the per-model paths above refuse requests: 401, 403 with a credential\):$/m);
    assert.match(renderSummaryMarkdown(summary), /## Tenants\n\nBase URL `https:\/\/llm\.example\.com\/v1`/);
    // The keys themselves never reach the plan's files.
    const { files } = planFiles(run);
    assert.deepStrictEqual(JSON.parse(files.get("summary.json") ?? "{}").outputs.tenantKeys, { search: "[redacted]", "support-bot": "[redacted]" });
    assert.deepStrictEqual([...files.entries()].filter(([, text]) => text.includes("offline-plan-placeholder-key")).map(([f]) => f), []);
  });

  it("says so when the gateway has no tenants", async function () {
    this.timeout(300000);
    const run = await runPlan(STACKS, "local");
    assert.ok(run.ok);
    assert.match(renderSummaryText(summarize("local", run.resources, run.outputs)), /^Tenants: none \(the gateway authenticates nobody\)$/m);
  });
});
