import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dump, load } from "js-yaml";
import { openAiError } from "../../components/tenants/gateway-objects";
import { Answer, DataPath, startDataPath } from "./harness/gateway-data-path";
import { objectName, objectProblems } from "./harness/envoy-gateway-checks";
import { addStack, GatewayStack, startGatewayStack } from "./harness/gateway-stack";
import { RateLimitService, startRateLimit } from "./harness/rate-limit";
import { freePort, waitFor } from "./harness/local-process";
import { limitDescriptor } from "./harness/rate-limit-local";
import { planTemplateModel, TEMPLATE_MODEL } from "./harness/template-model";

// The gateway's data path, end to end: requests through a real Envoy configured over xDS by the
// running Envoy Gateway v1.8.1 (with the AI Gateway v1.0.0 extension), its external processor,
// the global rate-limit service on Redis, the pool's endpoint picker and a simulator, for the prod
// stack with two API-key tenants. Its ceilings are lowered (in a copy of the stack file) so a test
// can spend them: support-bot 3 requests a minute, search 60 total tokens a minute. Ceilings count
// per model the tenant calls (components/tenants/gateway-objects.ts windowRules says why).

const SAMPLES = path.resolve(__dirname, "..", "..", "stacks");
const HOST = "llm.example.com";
const QWEN = "Qwen/Qwen3-32B";
/** search's lowered ceiling: total tokens a minute. */
const SEARCH_TOKENS = 60;
const LLAMA = "meta-llama/Llama-3.1-70B-Instruct";
/** The model template's model, its own stack granting support-bot only (its name is the served name). */
const CHAT = TEMPLATE_MODEL.name;

type Json = Record<string, unknown>;

/** A copy of the sample stacks with prod's tenant ceilings lowered; returns its directory. */
function lowCeilings(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-data-path-"));
  const file = path.join(SAMPLES, "Pulumi.prod.yaml");
  const doc = load(fs.readFileSync(file, "utf8")) as { config: Record<string, { tenants?: Json[] }> };
  const tenants = doc.config["llm-platform:platform"].tenants;
  assert.ok(Array.isArray(tenants), "prod declares tenants under llm-platform:platform");
  const byName = (name: string) => {
    const t = tenants.find((x) => x.name === name);
    assert.ok(t !== undefined, `prod has a tenant ${name}`);
    return t;
  };
  byName("search").quotas = { totalTokens: { perMinute: SEARCH_TOKENS } };
  byName("support-bot").quotas = { requests: { perMinute: 3 } };
  fs.writeFileSync(path.join(dir, "Pulumi.prod.yaml"), dump(doc));
  return dir;
}

interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

function usageOf(a: Answer): Usage {
  const usage = (JSON.parse(a.body) as { usage?: Usage }).usage;
  assert.ok(usage !== undefined && usage.total_tokens > 0, `an answer counts its tokens: ${a.body}`);
  return usage;
}

/**
 * A tenant's token counters from the external processor's metrics (AI Gateway v1.0.0
 * internal/metrics/genai.go: the histogram gen_ai.client.token.usage by gen_ai.token.type, with
 * the tenant header as the llm.tenant attribute): input and output sums, and how many answers.
 */
function tokenUsage(metrics: string, tenant: string): { input: number; output: number; count: number } {
  const series = (suffix: string, type: string) =>
    metrics
      .split("\n")
      .filter((l) => l.startsWith(`gen_ai_client_token_usage${suffix}{`) && l.includes(`llm_tenant="${tenant}"`) && l.includes(`gen_ai_token_type="${type}"`))
      .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
  return { input: series("_sum", "input"), output: series("_sum", "output"), count: series("_count", "input") };
}

/**
 * Waits for the next minute to begin (unless one began less than 2 s ago): the rate-limit service
 * counts in fixed windows aligned to the clock, so a sequence that spends a per-minute ceiling
 * must not straddle two. Returns the window's start (s).
 */
async function startOfAMinute(): Promise<number> {
  const now = Date.now() / 1000;
  if (now % 60 > 2) {
    await new Promise((resolve) => setTimeout(resolve, (60 - (now % 60) + 0.2) * 1000));
  }
  return Math.floor(Date.now() / 60_000) * 60;
}

/**
 * The current minute's start (s), or the next one's when fewer than `seconds` are left of it: a
 * short sequence that must fit in one rate-limit window without waiting for a fresh one.
 */
async function minuteWithRoom(seconds: number): Promise<number> {
  const now = Date.now() / 1000;
  if (60 - (now % 60) < seconds) {
    await new Promise((resolve) => setTimeout(resolve, (60 - (now % 60) + 0.2) * 1000));
  }
  return Math.floor(Date.now() / 60_000) * 60;
}

/** Fails when a sequence that began in `window` ended in another (too slow for one window). */
function sameWindow(window: number, what: string): void {
  const now = Math.floor(Date.now() / 60_000) * 60;
  assert.strictEqual(now, window, `${what} took longer than the minute it started in, so its counts span two windows`);
}

const chat = (model: string) => ({ model, messages: [{ role: "user", content: "Say something short." }], max_tokens: 16 });

describe("the gateway's data path: Envoy, the AI Gateway's external processor and the rate-limit service, as the controllers configure them", function () {
  this.timeout(1_200_000);
  let stack: GatewayStack | undefined;
  let rateLimit: RateLimitService | undefined;
  let dataPath: DataPath | undefined;
  let stacksDir: string | undefined;
  afterEach(async () => {
    if (this.ctx.currentTest?.state === "failed" && dataPath !== undefined) {
      for (const [name, text] of Object.entries(dataPath.logs())) {
        console.log(`--- ${name}\n${text.split("\n").slice(-15).join("\n")}`);
      }
      if (process.env.LLM_PLATFORM_E2E_DUMP) {
        await dataPath.keep(path.join(process.env.LLM_PLATFORM_E2E_DUMP, "data-path"));
      }
    }
    await dataPath?.stop();
    await rateLimit?.stop();
    await stack?.stop();
    [dataPath, rateLimit, stack] = [undefined, undefined, undefined];
    if (stacksDir !== undefined) {
      fs.rmSync(stacksDir, { recursive: true, force: true });
    }
  });

  it("prod: 401 without a key, 403 for a model outside the tenant's list, answers and token counts per tenant, 429 once a ceiling is spent; a template model's grant and ceiling hold on its own route", async function () {
    stacksDir = lowCeilings();
    const start = await startGatewayStack("prod", stacksDir);
    if ("skipped" in start) {
      throw new Error(start.skipped);
    }
    stack = start.started;
    const { cluster, controllers, keys } = stack;
    // A model added with the model template, granting support-bot from a copy of prod's
    // tenantGrants output (with the lowered ceilings), applied before the data path starts so its
    // picker and simulator run in the proxy's namespace too.
    const template = await addStack(stack, TEMPLATE_MODEL.stack, await planTemplateModel(stack.outputs.tenantGrants, ["support-bot"]));
    const templateProblems = template.objects.filter((o) => (o.object.metadata as Json).namespace === TEMPLATE_MODEL.namespace).flatMap((o) => objectProblems(o));
    assert.deepStrictEqual(templateProblems, [], `the template model's gateway objects (${template.objects.map(objectName).filter((n) => n.includes(`${TEMPLATE_MODEL.namespace}/`)).join(", ")})`);
    const grpc = { host: "127.0.0.1", port: await freePort() };
    rateLimit = await startRateLimit(cluster.api, controllers, { grpc, redis: { host: "127.0.0.1", port: await freePort() } });
    const dp = await startDataPath(cluster.api, controllers, {
      host: HOST,
      pools: [
        { name: "qwen3-32b-router", namespace: "llm-models", model: QWEN },
        { name: "llama-3-1-70b-router", namespace: "llm-models", model: LLAMA },
        { name: TEMPLATE_MODEL.pool, namespace: TEMPLATE_MODEL.namespace, model: CHAT },
      ],
      rateLimit: grpc,
    });
    dataPath = dp;
    const search = keys.get("search");
    const supportBot = keys.get("support-bot");
    assert.ok(search !== undefined && supportBot !== undefined, "prod's two API-key tenants have keys");
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const post = (body: unknown, headers: Record<string, string>) => dp.post("/v1/chat/completions", body, headers);

    const refused = (a: Answer, status: 401 | 403 | 429, what: string) => {
      assert.strictEqual(a.status, status, `${what}: ${a.status} ${a.body}`);
      assert.deepStrictEqual(JSON.parse(a.body), JSON.parse(openAiError(status)), `${what}: the OpenAI-shaped ${status} body`);
    };
    refused(await post(chat(QWEN), {}), 401, "no key");
    refused(await post(chat(QWEN), bearer("not-a-key")), 401, "a key no tenant has");
    refused(await post(chat(LLAMA), { authorization: `Bearer ${search}`, "x-llm-tenant": "support-bot" }), 403, `search's key claiming to be support-bot, asking for ${LLAMA}`);
    refused(await post(chat(LLAMA), bearer(search)), 403, `search asking for ${LLAMA}`);

    let window = await startOfAMinute();
    // search: answers until its 60 tokens a minute are spent (a response's count is charged after
    // it, so the request that crosses the ceiling is answered and the next one is refused).
    // Each answer's count is charged when its stream ends, a moment after the client has it: the
    // next request waits until the service holds it (asked without adding to the counter), or it
    // would be checked against a count that is still on its way.
    const searchLimits = (await rateLimit.limits())
      .filter((l) => l.requestsPerUnit === SEARCH_TOKENS && l.unit === "MINUTE")
      .map(limitDescriptor)
      .filter((d) => d !== undefined);
    assert.ok(searchLimits.length > 0, `the rate-limit service holds search's ${SEARCH_TOKENS} tokens a minute`);
    const rl = rateLimit;
    const charged = async () => {
      let sum = 0;
      for (const d of searchLimits) {
        sum += SEARCH_TOKENS - (await rl.check(d.domain, d.entries, 0)).limitRemaining;
      }
      return sum;
    };
    const spent: number[] = [];
    /** What the rate limit reported left before each answer (x-ratelimit-remaining). */
    const remaining: string[] = [];
    let searchAnswer: Answer | undefined;
    for (let i = 0; i < 10; i++) {
      searchAnswer = await post(chat(QWEN), bearer(search));
      if (searchAnswer.status !== 200) {
        break;
      }
      spent.push(usageOf(searchAnswer).total_tokens);
      remaining.push(String(searchAnswer.headers["x-ratelimit-remaining"]));
      const expected = Math.min(SEARCH_TOKENS, spent.reduce((x, y) => x + y, 0));
      await waitFor(`search's ${expected} tokens charged`, 30_000, async () => ((await charged()) === expected ? true : undefined));
    }
    assert.ok(searchAnswer !== undefined);
    sameWindow(window, "search's sequence");
    refused(searchAnswer, 429, `search after ${spent.length} answers (${spent.join(" + ")} tokens)`);
    const total = spent.reduce((x, y) => x + y, 0);
    assert.ok(total > SEARCH_TOKENS && total - spent[spent.length - 1] <= SEARCH_TOKENS, `search was refused once its answers' tokens crossed ${SEARCH_TOKENS} (answers: ${spent.join(", ")}; remaining before each: ${remaining.join(", ")})`);

    // support-bot: 3 requests a minute per model it calls (each model's route keeps its own
    // counter); search's spent ceiling is not its.
    const bot = [];
    window = await startOfAMinute();
    for (const model of [QWEN, QWEN, QWEN, QWEN, LLAMA]) {
      bot.push(await post(chat(model), bearer(supportBot)));
    }
    sameWindow(window, "support-bot's sequence");
    assert.deepStrictEqual(bot.map((a) => a.status), [200, 200, 200, 429, 200], `support-bot's five requests (four for ${QWEN}, then ${LLAMA}): ${bot.map((a) => `${a.status} ${a.body.slice(0, 80)}`).join(" | ")}`);
    refused(bot[3], 429, "support-bot's fourth request in a minute");

    // Usage per tenant: the external processor's token counters, labelled by the tenant header,
    // add up to what the answers reported.
    const metrics = await dp.extprocMetrics();
    const botSpent = [...bot.slice(0, 3), bot[4]].map((a) => usageOf(a));
    for (const [tenant, answers] of [["search", spent.length], ["support-bot", 4]] as const) {
      const counted = tokenUsage(metrics, tenant);
      assert.ok(counted.count === answers, `${tenant}: ${answers} answers counted by the external processor, it counted ${counted.count}:\n${metrics.split("\n").filter((l) => l.startsWith("gen_ai_client_token_usage")).join("\n")}`);
    }
    assert.strictEqual(tokenUsage(metrics, "search").input + tokenUsage(metrics, "search").output, total, "search's input and output tokens as counted add up to the answers' totals");
    assert.strictEqual(tokenUsage(metrics, "support-bot").output, botSpent.reduce((x, u) => x + u.completion_tokens, 0), "support-bot's output tokens as counted");

    // The template model, through the same Gateway: authentication is the Gateway's, the grant
    // (support-bot only) and its ceiling (3 requests a minute, copied from prod's tenantGrants)
    // are the template route's own.
    refused(await post(chat(CHAT), {}), 401, `no key, asking for ${CHAT}`);
    refused(await post(chat(CHAT), bearer(search)), 403, `search (not granted) asking for ${CHAT}`);
    window = await minuteWithRoom(15);
    const granted = [];
    for (let i = 0; i < 4; i++) {
      granted.push(await post(chat(CHAT), bearer(supportBot)));
    }
    sameWindow(window, `support-bot's sequence on ${CHAT}`);
    assert.deepStrictEqual(granted.map((a) => a.status), [200, 200, 200, 429], `support-bot's four requests for ${CHAT}: ${granted.map((a) => `${a.status} ${a.body.slice(0, 80)}`).join(" | ")}`);
    assert.strictEqual((JSON.parse(granted[0].body) as { model?: string }).model, CHAT, `the template model's simulator answered: ${granted[0].body}`);
    usageOf(granted[0]);
    refused(granted[3], 429, `support-bot's fourth request for ${CHAT} in a minute`);
    console.log(`      (401/403/429 with OpenAI bodies; search refused after ${spent.length} answers, ${total} tokens; support-bot refused on its 4th request to one model, answered by the other; counted per tenant: search ${JSON.stringify(tokenUsage(metrics, "search"))}, support-bot ${JSON.stringify(tokenUsage(metrics, "support-bot"))}; template model ${CHAT} (${template.settledIn ?? "?"} s to settle): 401 without a key, 403 for search, support-bot ${granted.map((a) => a.status).join(", ")})`);
  });
});
