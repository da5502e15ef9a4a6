import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, parsePlatformConfig, PlatformInput } from "../components/config";
import { LlmPlatform } from "../components/platform";
import { platformProgram } from "../components/program";
import { baseConfig } from "./harness/fixtures";
import { GatewayCrdValidator } from "./harness/gateway-crds";
import { resolved, runMocked, runMockedExpectingError } from "./harness/pulumi";
import { kubernetesSchemas } from "./harness/schema";

type RawTenant = NonNullable<PlatformInput["tenants"]>[number];

function tenantConfig(tenants: RawTenant[], change: (c: PlatformInput) => void = () => undefined): PlatformInput {
  const raw = baseConfig();
  raw.tenants = tenants;
  raw.monitoring = { prometheusOperator: true };
  change(raw);
  return raw;
}

const keyTenants: RawTenant[] = [
  { name: "team-a", apiKey: {}, models: ["qwen3-8b"], quotas: { requests: { perMinute: 60 }, totalTokens: { perHour: 100000 } } },
  { name: "team-b", apiKey: { secretConfig: "teamBKey", rotation: 2 }, models: ["llama-70b", "qwen3-8b"] },
];

describe("tenants on the platform (mocked)", () => {
  it("registers keys, Secrets and every gateway object, with the rate-limit store and the AI Gateway's tenant label", async () => {
    const config = parsePlatformConfig(tenantConfig(keyTenants));
    const { recorder, result: platform } = await runMocked(() => new LlmPlatform("test", { config, tenantKeys: { "team-b": pulumi.secret("supplied-key-b") } }));

    // One generated key (team-a); team-b's comes from stack config.
    const passwords = recorder.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
    assert.deepStrictEqual(passwords.map((p) => [p.name, p.inputs.length, p.inputs.special, p.inputs.keepers]), [["test-tenants-team-a-key", 48, false, { rotation: "1" }]]);

    const secrets = recorder.resources.filter((r) => r.type === "kubernetes:core/v1:Secret").sort((a, b) => a.name.localeCompare(b.name));
    assert.deepStrictEqual(
      secrets.map((s) => [s.name, (s.inputs.metadata as { name: string }).name, Object.keys(s.inputs.stringData as object)]),
      [
        ["test-tenants-team-a-key", "llm-tenant-team-a-api-key", ["team-a"]],
        ["test-tenants-team-b-key", "llm-tenant-team-b-api-key", ["team-b"]],
      ],
    );
    assert.strictEqual((secrets[1].inputs.stringData as Record<string, string>)["team-b"], "supplied-key-b");

    const custom = recorder.resources.filter((r) => r.type.startsWith("kubernetes:gateway.envoyproxy.io") || r.type.startsWith("kubernetes:aigateway.envoyproxy.io"));
    assert.deepStrictEqual(custom.map((r) => r.type.split(":").slice(1).join(":")).sort(), [
      "aigateway.envoyproxy.io/v1beta1:AIGatewayRoute",
      "gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
      "gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy",
      "gateway.envoyproxy.io/v1alpha1:ClientTrafficPolicy",
      "gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
      "gateway.envoyproxy.io/v1alpha1:SecurityPolicy",
    ]);
    // Each waits for the Gateway, the AI Gateway release and the key Secrets.
    const route = recorder.get("kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "test-tenants-aigatewayroute-llm-tenants");
    const deps = route.dependencies.join(" ");
    for (const needed of ["test-addons-gateway", "test-addons-ai-gateway", "test-tenants-team-a-key", "test-addons-gateway-crds"]) {
      assert.ok(deps.includes(needed), `AIGatewayRoute depends on ${needed}: ${deps}`);
    }
    // The route's objects wait for the Gateway's authentication, header strip, limits and key grant, never the reverse.
    const guards = ["securitypolicy-llm-tenants-gateway", "clienttrafficpolicy-llm-tenants-gateway", "backendtrafficpolicy-llm-tenants-gateway", "referencegrant-llm-tenants-gateway"];
    const urnEnd = (urn: string) => urn.split("::").pop() ?? "";
    for (const r of recorder.resources.filter((x) => x.name.startsWith("test-tenants-") && x.type.startsWith("kubernetes:") && !x.type.endsWith(":Secret"))) {
      const waits = guards.filter((g) => r.dependencies.some((d) => urnEnd(d) === `test-tenants-${g}`));
      const isGuard = guards.some((g) => r.name === `test-tenants-${g}`);
      assert.deepStrictEqual(waits, isGuard || r.type.endsWith(":PodMonitor") ? [] : guards, `${r.name} waits for ${waits.join(", ")}`);
    }
    const validator = new GatewayCrdValidator();
    for (const r of custom) {
      assert.deepStrictEqual(validator.problems(r.inputs as { apiVersion: string; kind: string }), [], r.name);
    }

    // The store, and Envoy Gateway pointed at it; the AI Gateway labels metrics with the tenant.
    const redis = recorder.get("kubernetes:apps/v1:Deployment", "test-addons-ratelimit-redis");
    assert.strictEqual((redis.inputs.metadata as { namespace: string }).namespace, "envoy-gateway-system");
    const eg = recorder.get("kubernetes:helm.sh/v3:Release", "test-addons-envoy-gateway");
    const egConfig = (eg.inputs.values as { config: { envoyGateway: { rateLimit: unknown } } }).config.envoyGateway;
    assert.deepStrictEqual(egConfig.rateLimit, { backend: { type: "Redis", redis: { url: "llm-ratelimit-redis.envoy-gateway-system.svc.cluster.local:6379" } } });
    const ai = recorder.get("kubernetes:helm.sh/v3:Release", "test-addons-ai-gateway");
    assert.deepStrictEqual(ai.inputs.values, { controller: { replicaCount: 1, metricsRequestHeaderAttributes: "x-llm-tenant:llm.tenant" } });
    const podMonitor = recorder.get("kubernetes:monitoring.coreos.com/v1:PodMonitor", "test-tenants-usage-podmonitor");
    assert.deepStrictEqual((podMonitor.inputs.spec as { podMetricsEndpoints: unknown }).podMetricsEndpoints, [{ port: "aigw-admin", path: "/metrics", interval: "15s" }]);

    // Outputs: keys as a secret, and how each tenant calls the gateway.
    assert.strictEqual(await pulumi.isSecret(platform.tenantKeys), true);
    assert.deepStrictEqual(await resolved(platform.tenantKeys), { "team-a": "offline-plan-placeholder-key", "team-b": "supplied-key-b" });
    const access = await resolved(platform.tenantAccess);
    assert.deepStrictEqual(
      access.map((a) => [a.tenant, a.baseUrl, a.header, a.keyOutput, a.models]),
      [
        ["team-a", "http://<gateway-address>/v1", "Authorization: Bearer <key>", "tenantKeys.team-a", ["qwen3-8b"]],
        ["team-b", "http://<gateway-address>/v1", "Authorization: Bearer <key>", "tenantKeys.team-b", ["llama-70b", "qwen3-8b"]],
      ],
    );
  });

  it("emits only core objects that pass their upstream schema", async () => {
    const config = parsePlatformConfig(tenantConfig([keyTenants[0]]));
    const { recorder } = await runMocked(() => new LlmPlatform("test", { config }));
    const types = ["kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service", "kubernetes:core/v1:Secret", "kubernetes:monitoring.coreos.com/v1:PodMonitor"];
    const mine = recorder.resources.filter((x) => types.includes(x.type) && (x.name.includes("tenants") || x.name.includes("ratelimit")));
    assert.deepStrictEqual(mine.map((r) => r.name).sort(), ["test-addons-ratelimit-redis", "test-addons-ratelimit-redis", "test-tenants-team-a-key", "test-tenants-usage-podmonitor"]);
    for (const r of mine) {
      assert.deepStrictEqual(await kubernetesSchemas().validate(r.inputs), [], r.name);
    }
  });

  it("registers the Lua policy and one InferenceObjective per model of a tenant with a priority, after the model services", async () => {
    const config = parsePlatformConfig(tenantConfig([{ ...keyTenants[0], priority: -1 }, { ...keyTenants[1], apiKey: {} }]));
    const { recorder } = await runMocked(() => new LlmPlatform("test", { config }));
    const objective = recorder.get("kubernetes:inference.networking.x-k8s.io/v1alpha2:InferenceObjective", "test-tenants-inferenceobjective-team-a.qwen3-8b");
    assert.deepStrictEqual(objective.inputs.metadata, { name: "team-a.qwen3-8b", namespace: "llm-models", labels: { ...(objective.inputs.metadata as { labels: Record<string, string> }).labels, "llm-platform.io/tenant": "team-a" } });
    assert.deepStrictEqual(objective.inputs.spec, { priority: -1, poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen3-8b-router" } });
    // Only team-a has a priority: no objective for team-b.
    assert.deepStrictEqual(recorder.resources.filter((r) => r.type.endsWith(":InferenceObjective")).map((r) => r.name), ["test-tenants-inferenceobjective-team-a.qwen3-8b"]);
    const lua = recorder.get("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyExtensionPolicy", "test-tenants-envoyextensionpolicy-llm-tenants");
    assert.match((lua.inputs.spec as { lua: { inline: string }[] }).lua[0].inline, /\["team-a\\010qwen3-8b"\] = "team-a\.qwen3-8b"/);
    for (const r of [objective, lua]) {
      assert.deepStrictEqual(await kubernetesSchemas().validate(r.inputs), [], r.name);
      // The objective names the model's pool, which its router release creates.
      assert.ok(r.dependencies.join(" ").includes("Release::test-qwen3-8b-router"), `${r.name} depends on the model's router: ${r.dependencies.join(" ")}`);
    }
  });

  it("registers nothing of the tenants without tenants, and keeps the gateway values as they were", async () => {
    const { recorder, result } = await runMocked(() => new LlmPlatform("test", { config: parsePlatformConfig(baseConfig()) }));
    assert.deepStrictEqual(recorder.resources.filter((r) => /tenant|ratelimit|random:/.test(r.name + r.type)).map((r) => r.name), []);
    const eg = recorder.get("kubernetes:helm.sh/v3:Release", "test-addons-envoy-gateway");
    assert.strictEqual((eg.inputs.values as { config: { envoyGateway: { rateLimit?: unknown } } }).config.envoyGateway.rateLimit, undefined);
    assert.deepStrictEqual(await resolved(result.tenantAccess), []);
  });

  it("fails when a key named by secretConfig is not supplied", async () => {
    const config = parsePlatformConfig(tenantConfig(keyTenants));
    const { error } = await runMockedExpectingError(() => new LlmPlatform("test", { config }));
    assert.match(String(error), /tenant "team-b": its key llm-platform:teamBKey was not supplied/);
  });

  describe("platformProgram", () => {
    it("reads a tenant's key from secret stack config and exports the keys", async () => {
      const { result } = await runMocked(platformProgram, {
        config: { "llm-platform:platform": tenantConfig(keyTenants), "llm-platform:teamBKey": "from-config" },
        secretKeys: ["llm-platform:teamBKey"],
      });
      assert.deepStrictEqual(await resolved(result.tenantKeys), { "team-a": "offline-plan-placeholder-key", "team-b": "from-config" });
      assert.deepStrictEqual((await resolved(result.tenants)).map((t) => t.tenant), ["team-a", "team-b"]);
    });

    it("refuses a tenant key that is unset or stored in plain text, registering nothing", async () => {
      const unset = await runMockedExpectingError(platformProgram, { config: { "llm-platform:platform": tenantConfig(keyTenants) } });
      assert.ok(unset.error instanceof ConfigError);
      assert.deepStrictEqual(unset.error.issues, [
        { path: "tenants[1].apiKey.secretConfig", message: "names llm-platform:teamBKey, which is not set: pulumi config set --secret llm-platform:teamBKey <value>" },
      ]);
      assert.deepStrictEqual(unset.recorder.resources, []);
      const plain = await runMockedExpectingError(platformProgram, { config: { "llm-platform:platform": tenantConfig(keyTenants), "llm-platform:teamBKey": "plain" } });
      assert.match(String(plain.error), /llm-platform:teamBKey: is stored in plain text/);
      assert.deepStrictEqual(plain.recorder.resources, []);
    });
  });

  describe("on GKE", () => {
    it("serves the Gateway with Envoy Gateway when tenants are configured, with GKE's Gateway API off and the v1.5 CRDs installed by the platform", async () => {
      const config = parsePlatformConfig({
        environment: { name: "gke", tier: "dev" },
        cloud: { provider: "gcp", region: "us-central1", project: "acme-llm-test" },
        cluster: { apiAccess: { publicCidrs: ["203.0.113.0/24"] } },
        models: [{ name: "qwen3-8b", source: { uri: "hf://Qwen/Qwen3-8B" }, simulator: true, architecture: "qwen3-8b" }],
        tenants: [{ name: "team-a", apiKey: {}, models: ["qwen3-8b"] }],
      });
      const { recorder } = await runMocked(() => new LlmPlatform("gke", { config }));
      const gateway = recorder.resources.find((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:Gateway");
      assert.strictEqual((gateway?.inputs.spec as { gatewayClassName: string }).gatewayClassName, "llm-platform-envoy");
      const crds = recorder.get("kubernetes:helm.sh/v3:Release", "gke-addons-gateway-crds");
      // Envoy Gateway v1.8.1 exits unless ListenerSet, TLSRoute and BackendTLSPolicy are served: GKE's
      // managed channel does not promise them, so the platform owns the Gateway API CRDs here.
      assert.deepStrictEqual(crds.inputs.values, { crds: { gatewayAPI: { enabled: true, channel: "standard" }, envoyGateway: { enabled: true } } });
      const cluster = recorder.resources.find((r) => r.type === "gcp:container/cluster:Cluster");
      assert.deepStrictEqual(cluster?.inputs.gatewayApiConfig, { channel: "CHANNEL_DISABLED" });
      assert.ok(recorder.resources.some((r) => r.name === "gke-addons-envoy-gateway"));
      assert.ok(recorder.resources.some((r) => r.name === "gke-addons-ratelimit-redis"));
      // The model pods admit the Envoy proxies, not GKE's proxy-only subnet.
      const serving = recorder.get("kubernetes:networking.k8s.io/v1:NetworkPolicy", "gke-netpol-qwen3-8b-serving");
      assert.match(JSON.stringify(serving.inputs.spec), /"kubernetes.io\/metadata.name":"envoy-gateway-system"/);
      assert.doesNotMatch(JSON.stringify(serving.inputs.spec), /ipBlock/);
    });
  });
});
