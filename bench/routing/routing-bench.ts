import * as fs from "fs";
import * as path from "path";
import { armDeadline, runTool } from "../../test/e2e/harness/processes";
import { runLoad } from "./loadgen";
import { renderResults, RunResult } from "./report";
import { Arm, platformDefaults, routedConfig, scenarios, SIMS } from "./scenarios";
import { MODEL, RoutingStack, BENCH_VENV } from "./stack";
import { counterDelta, summarize } from "./stats";
import { buildRequests } from "./workload";

// `npm run bench:routing`: the full sweep (cache pressure × load, every arm on the same workload
// with fresh simulators and a fresh EPP), inside a private network namespace (see in-netns.sh).
// Writes bench/routing/RESULTS.md, bench/routing/results.json and bench/routing/routing.png.
//
// Options (environment):
//   BENCH_ROUTING_ARMS     extra weight sets to compare, e.g. "p3q2k2=3/2/2,p1q2k2=1/2/2"
//                          (prefixCache/queue/kvCacheUtilization, then /auto or /fixed to set the
//                          prefix producer's autoTune); the platform's defaults and
//                          round robin always run
//   BENCH_ROUTING_REQUESTS measured requests per arm and scenario (default 320)
//   BENCH_ROUTING_WARMUP   requests sent first and not measured (default 160)
//   BENCH_ROUTING_PRESSURES comma-separated pressures (default 0.25,1,2,4)
//   BENCH_ROUTING_LOADS    comma-separated loads (default low,high)
//   BENCH_ROUTING_OUT      where to write (default bench/routing)

function arms(): Arm[] {
  const { weights } = platformDefaults();
  const out: Arm[] = [{ name: "round-robin" }, { name: `platform ${weights.prefixCache}/${weights.queue}/${weights.kvCacheUtilization}`, weights }];
  for (const spec of (process.env.BENCH_ROUTING_ARMS ?? "").split(",").filter((s) => s !== "")) {
    const m = /^([\w.-]+)=(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)\/(\d+(?:\.\d+)?)(\/auto|\/fixed)?$/.exec(spec);
    if (m === null) {
      throw new Error(`BENCH_ROUTING_ARMS: "${spec}" is not NAME=prefix/queue/kv[/auto|/fixed]`);
    }
    const autoTune = m[5] === undefined ? undefined : m[5] === "/auto";
    out.push({ name: m[1], weights: { prefixCache: Number(m[2]), queue: Number(m[3]), kvCacheUtilization: Number(m[4]) }, autoTune });
  }
  return out;
}

async function main(): Promise<void> {
  const started = Date.now();
  const disarm = armDeadline(20 * 60_000, "the routing benchmark");
  const out = process.env.BENCH_ROUTING_OUT ?? path.join(__dirname);
  const requests = Number(process.env.BENCH_ROUTING_REQUESTS ?? "320");
  const warmup = Number(process.env.BENCH_ROUTING_WARMUP ?? "160");
  const pressures = (process.env.BENCH_ROUTING_PRESSURES ?? "0.25,1,2,4").split(",").map(Number);
  const { blockSize } = platformDefaults();
  const loads = (process.env.BENCH_ROUTING_LOADS ?? "low,high").split(",").map((l) => {
    if (l !== "low" && l !== "high") {
      throw new Error(`BENCH_ROUTING_LOADS: "${l}" is not low or high`);
    }
    return l;
  });
  const grid = scenarios(blockSize, pressures, loads, warmup + requests);
  const armList = arms();
  const stack = await RoutingStack.start(SIMS);
  const results: RunResult[] = [];
  try {
    for (const scenario of grid) {
      const reqs = buildRequests(scenario.workload);
      for (const arm of armList) {
        const config = arm.weights === undefined ? undefined : routedConfig(arm.weights, blockSize, arm.autoTune);
        await stack.startArm(scenario.sim, config, 1000);
        try {
          const load = {
            baseUrl: arm.weights === undefined ? stack.roundRobinUrl : stack.routedUrl,
            model: MODEL,
            outputTokens: scenario.workload.outputTokens,
            concurrency: scenario.workload.concurrency,
            requestTimeoutMs: 120_000,
          };
          // Warm-up, not measured: a service runs warm, and round robin needs every group on every
          // simulator once before its caches hold what they can.
          await runLoad(reqs.slice(0, warmup), load);
          const before = await stack.counters();
          const records = await runLoad(reqs.slice(warmup), load);
          const summary = summarize(records, counterDelta(before, await stack.counters()));
          results.push({ scenario: scenario.name, pressure: scenario.pressure, load: scenario.load, kvBlocks: scenario.sim.kvBlocks, arm: arm.name, summary });
          const errors = records.filter((r) => r.error !== undefined);
          process.stdout.write(
            `${scenario.name.padEnd(24)} ${arm.name.padEnd(18)} tok/s ${summary.outputTokPerS.toFixed(0).padStart(5)}  ` +
              `TTFT p50 ${summary.ttftP50Ms.toFixed(0).padStart(5)} p90 ${summary.ttftP90Ms.toFixed(0).padStart(5)} ms  ` +
              `hit ${(summary.prefixHitRate * 100).toFixed(0).padStart(3)}%  per pod ${summary.perPod.join("/")}  errors ${summary.errors}` +
              `${errors.length > 0 ? ` (${errors[0].error})` : ""}\n`,
          );
        } finally {
          await stack.stopArm();
        }
      }
    }
  } finally {
    await stack.stop();
  }
  const elapsedS = Math.round((Date.now() - started) / 1000);
  fs.writeFileSync(path.join(out, "results.json"), `${JSON.stringify({ elapsedS, results }, null, 1)}\n`);
  const plotted = await runTool(path.join(BENCH_VENV, "bin", "python"), [path.join(__dirname, "plot.py"), path.join(out, "results.json"), path.join(out, "routing.png")], 120_000);
  if (plotted.code !== 0) {
    throw new Error(`plot: ${plotted.stderr}`);
  }
  const resultsFile = path.join(out, "RESULTS.md");
  const existing = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, "utf8") : "";
  fs.writeFileSync(resultsFile, renderResults(results, { elapsedS, requests, sims: SIMS, blockSize }, existing));
  process.stdout.write(`routing benchmark: ${results.length} runs in ${elapsedS} s; wrote ${path.join(out, "RESULTS.md")}\n`);
  disarm();
}

main().catch((err: unknown) => {
  process.stderr.write(`routing benchmark: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
