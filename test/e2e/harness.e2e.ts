import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { createInterface } from "readline";
import { TestApiServer } from "./harness/api-server";

// The tier stops what it starts on every way out: run the real harness in a child process, end
// it each way, and check that etcd and kube-apiserver are gone and the scratch directory removed.

const REPO = path.resolve(__dirname, "..", "..");
const FIXTURE = path.join(__dirname, "harness", "fixtures", "hold-api-server.ts");

/** Running, and not a zombie waiting to be reaped by whoever inherited it. */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * The pids still running once the kernel has had up to `ms` to finish them: SIGKILL is delivered at
 * once, but a process in uninterruptible I/O (etcd syncing on a busy disk) dies only when it returns.
 */
async function stillRunning(pids: number[], ms = 15_000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(running) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return pids.filter(running);
}

async function holdAndEnd(env: Record<string, string>, end?: NodeJS.Signals): Promise<{ code: number | null; stderr: string; pids: number[]; dir: string }> {
  const child = spawn(process.execPath, ["--require", "tsx/cjs", FIXTURE], { cwd: REPO, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  try {
    const first = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("exit", () => reject(new Error(`fixture exited before the API server was up:\n${stderr}`)));
    });
    const { pids, dir } = JSON.parse(first) as { pids: number[]; dir: string };
    assert.strictEqual(pids.length, 2, "etcd and kube-apiserver");
    assert.ok(pids.every(running), "both run while the fixture holds them");
    if (end !== undefined) {
      child.kill(end);
    }
    const code = await exited;
    return { code, stderr, pids, dir };
  } finally {
    child.kill("SIGKILL");
  }
}

describe("the e2e harness stops every process it started", function () {
  this.timeout(180_000);

  for (const [signal, code] of [["SIGTERM", 143], ["SIGINT", 130]] as const) {
    it(`on ${signal} of the test process`, async () => {
      const got = await holdAndEnd({}, signal);
      assert.strictEqual(got.code, code, got.stderr);
      assert.match(got.stderr, new RegExp(`${signal}: stopping`));
      assert.deepStrictEqual(await stillRunning(got.pids), [], "etcd and kube-apiserver are gone");
      assert.ok(!fs.existsSync(got.dir), `${got.dir} is removed`);
    });
  }

  it("on an uncaught failure", async () => {
    const got = await holdAndEnd({ HOLD_END: "throw" });
    assert.strictEqual(got.code, 1);
    assert.match(got.stderr, /a failure nobody catches/);
    assert.deepStrictEqual(await stillRunning(got.pids), []);
    assert.ok(!fs.existsSync(got.dir));
  });

  it("when the overall timeout passes", async () => {
    const got = await holdAndEnd({ HOLD_DEADLINE_MS: "1500" });
    assert.strictEqual(got.code, 124);
    assert.match(got.stderr, /the fixture exceeded its overall timeout of 2 s; stopping 2 process\(es\)/);
    assert.deepStrictEqual(await stillRunning(got.pids), []);
    assert.ok(!fs.existsSync(got.dir));
  });

  it("stop() returns when a process has already died of a signal", async () => {
    const api = await TestApiServer.start();
    try {
      const [etcd] = api.pids;
      process.kill(etcd, "SIGKILL");
      while (running(etcd)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 200));
      const stopped = api.stop().then(() => "stopped");
      const hung = new Promise((r) => setTimeout(() => r("still waiting after 30 s"), 30_000).unref());
      assert.strictEqual(await Promise.race([stopped, hung]), "stopped");
      assert.deepStrictEqual(api.pids.filter(running), []);
      assert.ok(!fs.existsSync(api.dir));
    } finally {
      await Promise.race([api.stop(), new Promise((r) => setTimeout(r, 1000).unref())]);
    }
  });
});
