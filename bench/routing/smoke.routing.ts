import * as assert from "assert";
import { armDeadline } from "../../test/e2e/harness/processes";
import { runLoad } from "./loadgen";
import { platformDefaults, routedConfig, simOptions, SIMS } from "./scenarios";
import { MODEL, RoutingStack } from "./stack";
import { counterDelta } from "./stats";
import { buildRequests } from "./workload";

// CI's one-minute version of the routing benchmark (npm run test:routing, inside a private
// network namespace): the real API server, simulators, EPP v1.5.0 with the platform's default
// router config and Envoy; both arms answer, and the prefix-aware arm keeps a group on one pod.

describe("routing benchmark smoke", function () {
  this.timeout(180_000);
  let stack: RoutingStack | undefined;
  let disarm: () => void = () => undefined;
  const { weights, blockSize } = platformDefaults();
  // Roomy caches: each simulator can hold every prefix, so placement alone decides hits.
  const sim = simOptions(1024, blockSize);
  const group = (seed: number, requests: number) =>
    buildRequests({ groups: 1, prefixTokens: 512, suffixTokens: 16, outputTokens: 8, concurrency: 1, requests, seed });

  before(async () => {
    disarm = armDeadline(300_000, "the routing smoke");
    stack = await RoutingStack.start(SIMS);
  });

  after(async () => {
    await stack?.stop();
    disarm();
  });

  afterEach(async () => {
    await stack?.stopArm();
  });

  it("round robin: every request answers and each simulator serves its share", async () => {
    const s = stack as RoutingStack;
    await s.startArm(sim, undefined, 1);
    const before = await s.counters();
    const records = await runLoad(group(1, 2 * SIMS), { baseUrl: s.roundRobinUrl, model: MODEL, outputTokens: 8, concurrency: 1, requestTimeoutMs: 30_000 });
    assert.deepStrictEqual(records.filter((r) => r.error !== undefined), []);
    assert.ok(records.every((r) => r.outputTokens === 8), JSON.stringify(records));
    assert.deepStrictEqual(counterDelta(before, await s.counters()).map((c) => c.requests), Array<number>(SIMS).fill(2));
  });

  it("the platform's default router config: every request answers and one group stays on one simulator", async () => {
    const s = stack as RoutingStack;
    await s.startArm(sim, routedConfig(weights, blockSize), 1);
    const before = await s.counters();
    const records = await runLoad(group(2, 8), { baseUrl: s.routedUrl, model: MODEL, outputTokens: 8, concurrency: 1, requestTimeoutMs: 30_000 });
    assert.deepStrictEqual(records.filter((r) => r.error !== undefined), []);
    const delta = counterDelta(before, await s.counters());
    const served = delta.map((c) => c.requests);
    assert.deepStrictEqual([...served].sort((a, b) => b - a), [8, ...Array<number>(SIMS - 1).fill(0)], `requests per simulator ${served.join("/")}\n${s.eppTail()}`);
    // Only the first request prefills the prefix; the other seven find it cached.
    const hits = delta.reduce((n, c) => n + c.prefixHits, 0);
    assert.ok(hits >= 7 * 512, `prefix-cache hits ${hits}`);
  });
});
