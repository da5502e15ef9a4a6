/**
 * The local stack's simulator containers, run as rendered (command and args) from
 * llm-d-inference-sim v0.10.2 built from the Go module proxy, in a private network namespace
 * (it listens on every address): /health, /v1/models and a chat completion answer with the
 * served model name plan's endpoint table gives.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ofKind, plan, podSpec } from "./harness/render";
import { ensureTools, Tools } from "./harness/tools";

const SIM_IMAGE = "ghcr.io/llm-d/llm-d-inference-sim:v0.10.2";
/** The image's entrypoint path (its Dockerfile copies the binary to /app). */
const SIM_ENTRYPOINT = "/app/llm-d-inference-sim";

interface Answer {
  health: number;
  models: { data: { id: string }[] };
  chat: { model: string; choices: { message: { role: string; content: string } }[] };
}

// Inside the namespace: bring loopback up, start the simulator, poll /health, ask, stop it.
const PROBE = `
set -u
ip link set lo up
"$@" >"$LOGFILE" 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null' EXIT
for i in $(seq 1 100); do
  code=$(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:$PORT/health || true)
  [ "$code" = 200 ] && break
  kill -0 $sim 2>/dev/null || { echo "simulator exited" >&2; exit 3; }
  sleep 0.2
done
[ "$code" = 200 ] || { echo "no /health within 20 s" >&2; exit 4; }
models=$(curl -sf http://127.0.0.1:$PORT/v1/models) || exit 5
chat=$(curl -sf -H 'Content-Type: application/json' -d "{\\"model\\":\\"$SERVED\\",\\"messages\\":[{\\"role\\":\\"user\\",\\"content\\":\\"hello\\"}],\\"max_tokens\\":8}" http://127.0.0.1:$PORT/v1/chat/completions) || exit 6
printf '{"health":%s,"models":%s,"chat":%s}\\n' "$code" "$models" "$chat"
`;

describe("weight path: llm-d-inference-sim v0.10.2 with the local stack's args", function () {
  this.timeout(600_000);
  let tools: Tools;
  let root: string;
  let endpoints: string[][];
  let sims: { name: string; argv: string[] }[];

  before(function () {
    this.timeout(45 * 60_000);
    tools = ensureTools();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "weight-path-sim-"));
    const rendered = plan("local", path.join(root, "plan"));
    endpoints = (JSON.parse(fs.readFileSync(path.join(root, "plan", "summary.json"), "utf8")) as { endpoints: string[][] }).endpoints.slice(1);
    sims = ofKind(rendered, "LLMInferenceService").flatMap((svc) =>
      podSpec(svc)
        .containers.filter((c) => c.image === SIM_IMAGE)
        .map((c) => ({ name: svc.metadata.name, argv: [...(c.command ?? []), ...(c.args ?? [])] })),
    );
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it("the local stack renders simulator containers whose command is the image's entrypoint", () => {
    assert.ok(sims.length >= 1);
    for (const s of sims) assert.equal(s.argv[0], SIM_ENTRYPOINT, s.name);
  });

  it("each simulator answers /health, /v1/models and a chat completion as the served model name", async () => {
    for (const s of sims) {
      const row = endpoints.find((e) => e[0] === s.name);
      assert.ok(row, `plan's endpoint table lists ${s.name}`);
      const served = row[1];
      const port = (s.argv.find((a) => a.startsWith("--port=")) ?? "--port=8000").slice("--port=".length);
      const log = path.join(root, `${s.name}.log`);
      const argv = [tools.simulator, ...s.argv.slice(1)];
      const answer = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn("unshare", ["-n", "--", "sh", "-c", PROBE, "probe", ...argv], {
          env: { PATH: process.env.PATH, PORT: port, SERVED: served, LOGFILE: log },
          stdio: ["ignore", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (b: Buffer) => out.push(b));
        child.stderr.on("data", (b: Buffer) => err.push(b));
        const t = setTimeout(() => child.kill("SIGKILL"), 60_000);
        child.on("close", (code) => {
          clearTimeout(t);
          resolve({ code, out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString() });
        });
      });
      assert.equal(answer.code, 0, `${answer.err}\n${fs.existsSync(log) ? fs.readFileSync(log, "utf8").slice(-2000) : ""}`);
      const a = JSON.parse(answer.out) as Answer;
      assert.equal(a.health, 200);
      assert.ok(a.models.data.some((m) => m.id === served), JSON.stringify(a.models));
      assert.equal(a.chat.model, served);
      assert.equal(a.chat.choices[0].message.role, "assistant");
      assert.ok(a.chat.choices[0].message.content.length > 0);
    }
  });

  it("the simulator built is v0.10.2 from the module proxy", () => {
    const r = spawnSync("go", ["version", "-m", tools.simulator], { encoding: "utf8" });
    assert.match(r.stdout, /(mod|dep)\s+github\.com\/llm-d\/llm-d-inference-sim\s+v0\.10\.2/);
  });
});
