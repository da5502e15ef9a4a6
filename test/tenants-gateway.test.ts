import * as assert from "assert";
import type { ResolvedTenant } from "../components/config";
import {
  apiKeySecret,
  gatewaySecurityPolicy,
  gatewayTrafficPolicy,
  modelInferencePool,
  openAiError,
  quotaRules,
  luaString,
  objectiveScript,
  EnvironmentGatewayOptions,
  TenantGatewayOptions,
  tenantGatewayObjects,
  tenantHeaderStrip,
  tenantObjectivePolicy,
  tenantObjectives,
  tenantsRoute,
  tenantsSecurityPolicy,
  tenantsTrafficPolicy,
  tenantGatewayOptions,
  tenantKeysReferenceGrant,
} from "../components/tenants/gateway-objects";
import { parsePlatformConfig } from "../components/config";
import { jwtProviderHeader, jwtProviderName } from "../components/tenants/jwt-provider";
import { baseConfig } from "./harness/fixtures";
import { envoyGatewayServes, sharedGateway } from "../components/addons/gateway-manifests";
import { GatewayCrdValidator } from "./harness/gateway-crds";
import { kubernetesSchemas } from "./harness/schema";

const keyTenant = (name: string, models: string[], quotas: ResolvedTenant["quotas"] = {}): ResolvedTenant => ({ name, credential: { kind: "apiKey", rotation: 1 }, models, quotas });
const jwtTenant = (name: string, models: string[], value = name, issuer = "https://idp.example.com"): ResolvedTenant => ({
  name,
  credential: { kind: "jwt", issuer, audiences: ["llm"], jwksUri: `${issuer}/jwks`, claim: "org", value, header: jwtProviderHeader({ issuer }) },
  models,
  quotas: { requests: { perMinute: 5 } },
});

const models: TenantGatewayOptions["models"] = [
  { name: "qwen3-8b", servedModelName: "Qwen/Qwen3-8B", routing: "llm-d" },
  { name: "llama-70b", servedModelName: "llama-70b", routing: "kserve" },
  { name: "unused", servedModelName: "unused", routing: "precise" },
];

function options(tenants: ResolvedTenant[]): EnvironmentGatewayOptions {
  return { tenants, models, modelsNamespace: "llm-models", gateway: { name: "inference-gateway", namespace: "llm-gateway" }, labels: { l: "v" } };
}

const keyed = options([
  keyTenant("team-a", ["qwen3-8b"], { requests: { perMinute: 60, perDay: 10000 }, totalTokens: { perHour: 200000 } }),
  keyTenant("team-b", ["qwen3-8b", "llama-70b"], { inputTokens: { perMinute: 1000 }, outputTokens: { perDay: 50000 } }),
]);
const jwt = options([jwtTenant("research", ["llama-70b"], "org-42"), jwtTenant("ops", ["qwen3-8b"])]);

describe("tenant gateway objects", () => {
  it("routes each model a tenant may call to its InferencePool by the model header, and counts tokens", () => {
    const route = tenantsRoute(keyed);
    assert.deepStrictEqual(route.metadata, { name: "llm-tenants", namespace: "llm-models", labels: { l: "v" } });
    assert.deepStrictEqual(route.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway", namespace: "llm-gateway" }]);
    assert.deepStrictEqual(route.spec.rules, [
      { matches: [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "Qwen/Qwen3-8B" }] }], backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen3-8b-router" }] },
      { matches: [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "llama-70b" }] }], backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "llama-70b-inference-pool" }] },
    ]);
    assert.deepStrictEqual(route.spec.llmRequestCosts, [
      { metadataKey: "llm_input_token", type: "InputToken" },
      { metadataKey: "llm_output_token", type: "OutputToken" },
      { metadataKey: "llm_total_token", type: "TotalToken" },
    ]);
  });

  it("derives its options from a validated environment (what the e2e tier calls for a stack)", () => {
    const raw = baseConfig();
    raw.tenants = [{ name: "team-a", apiKey: {}, models: ["qwen3-8b"] }];
    const opts = tenantGatewayOptions(parsePlatformConfig(raw), { l: "v" });
    assert.deepStrictEqual(
      { ...opts, tenants: opts.tenants.map((t) => t.name) },
      {
        tenants: ["team-a"],
        models: [
          { name: "llama-70b", servedModelName: "llama-70b", routing: "llm-d" },
          { name: "qwen3-8b", servedModelName: "qwen3-8b", routing: "llm-d" },
        ],
        modelsNamespace: "llm-models",
        gateway: { name: "inference-gateway", namespace: "llm-gateway" },
        labels: { l: "v" },
      },
    );
    assert.deepStrictEqual(tenantsRoute(opts).spec.rules.map((r) => r.backendRefs[0].name), ["qwen3-8b-router"]);
  });

  it("names the pool each routing mode creates, and none for round-robin", () => {
    assert.deepStrictEqual(
      (["llm-d", "precise", "kserve", "round-robin"] as const).map((routing) => modelInferencePool({ name: "m", routing })),
      ["m-router", "m-router", "m-inference-pool", undefined],
    );
  });

  it("authenticates API keys from the Authorization header on the Gateway, reading the models namespace's Secrets through a ReferenceGrant", () => {
    const gateway = gatewaySecurityPolicy(keyed);
    assert.deepStrictEqual(gateway.metadata, { name: "llm-tenants-gateway", namespace: "llm-gateway", labels: { l: "v" } });
    assert.deepStrictEqual(gateway.spec, {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway" }],
      apiKeyAuth: {
        credentialRefs: [
          { group: "", kind: "Secret", name: "llm-tenant-team-a-api-key", namespace: "llm-models" },
          { group: "", kind: "Secret", name: "llm-tenant-team-b-api-key", namespace: "llm-models" },
        ],
        extractFrom: [{ headers: ["authorization"] }],
        forwardClientIDHeader: "x-llm-tenant",
        sanitize: true,
      },
      // Routes without merged authorization of their own (KServe's per-model paths) refuse everyone.
      authorization: { defaultAction: "Deny" },
    });
    assert.deepStrictEqual(tenantKeysReferenceGrant(keyed), {
      apiVersion: "gateway.networking.k8s.io/v1beta1",
      kind: "ReferenceGrant",
      metadata: { name: "llm-tenants-gateway", namespace: "llm-models", labels: { l: "v" } },
      spec: {
        from: [{ group: "gateway.envoyproxy.io", kind: "SecurityPolicy", namespace: "llm-gateway" }],
        to: [
          { group: "", kind: "Secret", name: "llm-tenant-team-a-api-key" },
          { group: "", kind: "Secret", name: "llm-tenant-team-b-api-key" },
        ],
      },
    });
    // No grant without API keys, nor when the Gateway shares the models namespace (then no namespace on the refs).
    assert.strictEqual(tenantKeysReferenceGrant(jwt), undefined);
    const together = { ...keyed, modelsNamespace: "llm-gateway" };
    assert.strictEqual(tenantKeysReferenceGrant(together), undefined);
    assert.deepStrictEqual(gatewaySecurityPolicy(together).spec.apiKeyAuth?.credentialRefs[0], { group: "", kind: "Secret", name: "llm-tenant-team-a-api-key" });
  });

  it("allows each tenant only its models on the tenants' route, with authorization merged into the Gateway's authentication", () => {
    const policy = tenantsSecurityPolicy(keyed);
    assert.deepStrictEqual(policy.spec.targetRefs, [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm-tenants" }]);
    assert.strictEqual(policy.spec.mergeType, "StrategicMerge");
    assert.strictEqual(policy.spec.apiKeyAuth, undefined);
    assert.strictEqual(policy.spec.jwt, undefined);
    assert.deepStrictEqual(policy.spec.authorization, {
      defaultAction: "Deny",
      rules: [
        { name: "team-a", action: "Allow", principal: { headers: [{ name: "x-llm-tenant", values: ["team-a"] }, { name: "x-ai-eg-model", values: ["Qwen/Qwen3-8B"] }] } },
        { name: "team-b", action: "Allow", principal: { headers: [{ name: "x-llm-tenant", values: ["team-b"] }, { name: "x-ai-eg-model", values: ["Qwen/Qwen3-8B", "llama-70b"] }] } },
      ],
    });
  });

  it("authenticates JWTs with one provider per issuer on the Gateway, and authorizes on the header only that provider writes", () => {
    const idp = { issuer: "https://idp.example.com", audiences: ["llm"], jwksUri: "https://idp.example.com/jwks" };
    const other = { issuer: "https://other.example.com", audiences: ["llm"], jwksUri: "https://other.example.com/jwks" };
    const three = options([...jwt.tenants, jwtTenant("partner", ["qwen3-8b"], "p-1", other.issuer)]);
    const gateway = gatewaySecurityPolicy(three);
    assert.strictEqual(gateway.spec.apiKeyAuth, undefined);
    // research and ops share an issuer: one provider verifies their tokens once (jwt-provider.ts).
    assert.match(jwtProviderName(idp), /^jwt-[0-9a-f]{12}$/);
    assert.notStrictEqual(jwtProviderName(idp), jwtProviderName(other));
    assert.deepStrictEqual(gateway.spec.jwt?.providers, [
      {
        name: jwtProviderName(idp),
        issuer: "https://idp.example.com",
        audiences: ["llm"],
        remoteJWKS: { uri: "https://idp.example.com/jwks" },
        claimToHeaders: [
          { header: "x-llm-tenant", claim: "org" },
          { header: jwtProviderHeader(idp), claim: "org" },
        ],
      },
      {
        name: jwtProviderName(other),
        issuer: "https://other.example.com",
        audiences: ["llm"],
        remoteJWKS: { uri: "https://other.example.com/jwks" },
        claimToHeaders: [
          { header: "x-llm-tenant", claim: "org" },
          { header: jwtProviderHeader(other), claim: "org" },
        ],
      },
    ]);
    const policy = tenantsSecurityPolicy(three);
    assert.strictEqual(policy.spec.mergeType, "StrategicMerge");
    // The route names no provider: merged, it keeps the Gateway's whole list.
    assert.strictEqual(policy.spec.jwt, undefined);
    assert.deepStrictEqual(policy.spec.authorization.rules, [
      { name: "research", action: "Allow", principal: { headers: [{ name: jwtProviderHeader(idp), values: ["org-42"] }, { name: "x-ai-eg-model", values: ["llama-70b"] }] } },
      { name: "ops", action: "Allow", principal: { headers: [{ name: jwtProviderHeader(idp), values: ["ops"] }, { name: "x-ai-eg-model", values: ["Qwen/Qwen3-8B"] }] } },
      // Another issuer's token naming p-1 fills only its own provider's header.
      { name: "partner", action: "Allow", principal: { headers: [{ name: jwtProviderHeader(other), values: ["p-1"] }, { name: "x-ai-eg-model", values: ["Qwen/Qwen3-8B"] }] } },
    ]);
    // A client cannot send a provider's header (nor the tenant header) itself: every provider
    // header goes by its prefix, so one a stale template grant reads is stripped too.
    assert.deepStrictEqual(tenantHeaderStrip(three).spec.headers.earlyRequestHeaders, {
      remove: ["x-llm-tenant", "x-llm-d-inference-objective", "x-gateway-inference-objective"],
      removeOnMatch: [{ type: "Prefix", value: "x-llm-jwt-" }],
    });
    assert.ok(jwtProviderHeader(idp).startsWith("x-llm-jwt-") && jwtProviderHeader(other).startsWith("x-llm-jwt-"));
    // Names derive from the issuer alone: a template's copy of the header survives new audiences or keys.
    assert.strictEqual(jwtProviderHeader({ issuer: idp.issuer }), jwtProviderHeader(idp));
    assert.notStrictEqual(jwtProviderHeader({ issuer: "https://idp.example.com/" }), jwtProviderHeader(idp));
  });

  it("turns quotas into global rate limits keyed by the tenant, counted per model: requests count one, tokens their response's count", () => {
    const rules = quotaRules("team-a", { requests: { perMinute: 60, perDay: 10000 }, totalTokens: { perHour: 200000 } });
    const tenant = [{ headers: [{ name: "x-llm-tenant", type: "Exact", value: "team-a" }] }];
    assert.deepStrictEqual(rules, [
      { clientSelectors: tenant, limit: { requests: 60, unit: "Minute" } },
      { clientSelectors: tenant, limit: { requests: 10000, unit: "Day" } },
      {
        clientSelectors: tenant,
        limit: { requests: 200000, unit: "Hour" },
        cost: { request: { from: "Number", number: 0 }, response: { from: "Metadata", metadata: { namespace: "io.envoy.ai_gateway", key: "llm_total_token" } } },
      },
    ]);
    assert.deepStrictEqual(quotaRules("x", {}), []);
  });

  it("keys a JWT tenant's limits on its claim value, and gives 401/403/429 OpenAI-shaped bodies on local replies", () => {
    const policy = tenantsTrafficPolicy(jwt);
    assert.deepStrictEqual(
      policy.spec.rateLimit?.global.rules.map((r) => [r.clientSelectors[0].headers[0].value, r.limit.unit]),
      [
        ["org-42", "Minute"],
        ["ops", "Minute"],
      ],
    );
    assert.deepStrictEqual(
      policy.spec.responseOverride?.map((o) => [o.match.statusCodes[0].value, o.source, o.response.contentType, JSON.parse(o.response.body.inline).error.code]),
      [
        [401, "Local", "application/json", "invalid_api_key"],
        [403, "Local", "application/json", "permission_denied"],
        [429, "Local", "application/json", "rate_limit_exceeded"],
      ],
    );
    assert.deepStrictEqual(Object.keys(JSON.parse(openAiError(429)).error).sort(), ["code", "message", "param", "type"]);
    // The endpoint picker's 429 for a sheddable tenant on a saturated pool is a local reply too, and
    // gets this body (seen with Envoy Gateway's custom_response filter): it must not claim a quota only.
    assert.match((JSON.parse(openAiError(429)) as { error: { message: string } }).error.message, /quota.*saturated/);
    // No ceilings at all: no rateLimit section (Envoy Gateway requires rules when it is set).
    assert.strictEqual(tenantsTrafficPolicy(options([keyTenant("a", ["qwen3-8b"])])).spec.rateLimit, undefined);
  });

  it("closes the Gateway's other routes, strips a client-sent tenant header and answers 403 in OpenAI's shape there", () => {
    assert.deepStrictEqual(gatewaySecurityPolicy(keyed).spec.authorization, { defaultAction: "Deny" });
    assert.deepStrictEqual(tenantHeaderStrip(keyed).spec.headers, {
      earlyRequestHeaders: { remove: ["x-llm-tenant", "x-llm-d-inference-objective", "x-gateway-inference-objective"], removeOnMatch: [{ type: "Prefix", value: "x-llm-jwt-" }] },
    });
    assert.deepStrictEqual(gatewayTrafficPolicy(keyed).spec.responseOverride?.map((o) => o.match.statusCodes[0].value), [401, 403]);
  });

  describe("priority", () => {
    const prioritised = options([
      { ...keyTenant("search", ["qwen3-8b"]), priority: 10 },
      { ...keyTenant("batch", ["qwen3-8b", "unused"]), priority: -1 },
      keyTenant("plain", ["qwen3-8b", "llama-70b"]),
    ]);

    it("gives each tenant with a priority one InferenceObjective per granted model, on that model's pool, named <tenant>.<model>", () => {
      assert.deepStrictEqual(tenantObjectives(prioritised), [
        {
          apiVersion: "inference.networking.x-k8s.io/v1alpha2",
          kind: "InferenceObjective",
          metadata: { name: "search.qwen3-8b", namespace: "llm-models", labels: { l: "v", "llm-platform.io/tenant": "search" } },
          spec: { priority: 10, poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen3-8b-router" } },
        },
        {
          apiVersion: "inference.networking.x-k8s.io/v1alpha2",
          kind: "InferenceObjective",
          metadata: { name: "batch.qwen3-8b", namespace: "llm-models", labels: { l: "v", "llm-platform.io/tenant": "batch" } },
          spec: { priority: -1, poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: "qwen3-8b-router" } },
        },
        {
          apiVersion: "inference.networking.x-k8s.io/v1alpha2",
          kind: "InferenceObjective",
          metadata: { name: "batch.unused", namespace: "llm-models", labels: { l: "v", "llm-platform.io/tenant": "batch" } },
          spec: { priority: -1, poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: "unused-router" } },
        },
      ]);
    });

    it("sets the objective header by Lua on the tenants' route, from the tenant header and the served model name", () => {
      const policy = tenantObjectivePolicy(prioritised);
      assert.deepStrictEqual(policy && { ...policy, spec: { ...policy.spec, lua: policy.spec.lua.map((l) => l.type) } }, {
        apiVersion: "gateway.envoyproxy.io/v1alpha1",
        kind: "EnvoyExtensionPolicy",
        metadata: { name: "llm-tenants", namespace: "llm-models", labels: { l: "v" } },
        spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm-tenants" }], lua: ["Inline"] },
      });
      const script = policy?.spec.lua[0].inline ?? "";
      assert.strictEqual(script, objectiveScript(prioritised));
      // The table maps "<x-llm-tenant>\n<x-ai-eg-model>" to the objective; clients' own values are always dropped first.
      assert.deepStrictEqual(script.split("\n").filter((l) => l.startsWith("  [")), [
        '  ["search\\010Qwen/Qwen3-8B"] = "search.qwen3-8b",',
        '  ["batch\\010Qwen/Qwen3-8B"] = "batch.qwen3-8b",',
        '  ["batch\\010unused"] = "batch.unused",',
      ]);
      assert.match(script, /headers:remove\("x-llm-d-inference-objective"\)\n {2}headers:remove\("x-gateway-inference-objective"\)/);
      assert.match(script, /local objective = objectives\[tenant \.\. "\\n" \.\. model\]\n {2}if objective ~= nil then\n {4}headers:add\("x-llm-d-inference-objective", objective\)/);
    });

    it("keys a JWT tenant's entry on its claim value, as the tenant header carries it", () => {
      const script = objectiveScript(options([{ ...jwtTenant("research", ["qwen3-8b"], "org-42"), priority: 3 }]));
      assert.deepStrictEqual(script.split("\n").filter((l) => l.startsWith("  [")), ['  ["org-42\\010Qwen/Qwen3-8B"] = "research.qwen3-8b",']);
    });

    it("renders neither Lua nor objectives when no tenant has a priority, and none for KServe-scheduled models", () => {
      assert.strictEqual(tenantObjectivePolicy(keyed), undefined);
      assert.deepStrictEqual(tenantObjectives(keyed), []);
      // llama-70b is routed by KServe's scheduler here; the config refuses that pairing, the builder skips it.
      assert.deepStrictEqual(tenantObjectives(options([{ ...keyTenant("a", ["llama-70b"]), priority: 1 }])), []);
      assert.strictEqual(tenantObjectivePolicy(options([{ ...keyTenant("a", ["llama-70b"]), priority: 1 }])), undefined);
    });

    it("writes Lua string literals byte for byte", () => {
      assert.strictEqual(luaString("plain/Model-1"), '"plain/Model-1"');
      assert.strictEqual(luaString('a"b\\c'), '"a\\"b\\\\c"');
      assert.strictEqual(luaString("a\nb\u0000\u007f"), '"a\\010b\\000\\127"');
      assert.strictEqual(luaString("modèle"), '"modèle"');
    });

    it("adds the Lua policy and the objectives after the gateway objects, each valid against its CRD", async () => {
      const objects = tenantGatewayObjects(prioritised);
      assert.deepStrictEqual(
        objects.slice(7).map((o) => `${o.kind}/${o.metadata.name}`),
        ["EnvoyExtensionPolicy/llm-tenants", "InferenceObjective/search.qwen3-8b", "InferenceObjective/batch.qwen3-8b", "InferenceObjective/batch.unused"],
      );
      for (const o of objects.slice(7)) {
        assert.deepStrictEqual(await kubernetesSchemas().validate(o), [], `${o.kind}/${o.metadata.name}`);
      }
      // A priority the CRD cannot hold would be caught here too.
      const [objective] = tenantObjectives(prioritised);
      const broken = { ...objective, spec: { ...objective.spec, priority: "high" } };
      assert.match(JSON.stringify(await kubernetesSchemas().validate(broken)), /priority/);
    });
  });

  it("keeps a tenant's key in a Secret of its own under the tenant's name (the client ID)", () => {
    const secret = apiKeySecret("team-a", "k3y", "llm-models", { l: "v" });
    assert.deepStrictEqual(secret, {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "llm-tenant-team-a-api-key", namespace: "llm-models", labels: { l: "v", "llm-platform.io/tenant": "team-a" } },
      type: "Opaque",
      stringData: { "team-a": "k3y" },
    });
  });

  describe("against the upstream CRDs (../shared/charts)", () => {
    const validator = new GatewayCrdValidator();

    it("knows the kinds the tenants emit", () => {
      for (const kind of [
        "gateway.envoyproxy.io/v1alpha1/SecurityPolicy",
        "gateway.envoyproxy.io/v1alpha1/BackendTrafficPolicy",
        "gateway.envoyproxy.io/v1alpha1/ClientTrafficPolicy",
        "aigateway.envoyproxy.io/v1beta1/AIGatewayRoute",
      ]) {
        assert.ok(validator.kinds().includes(kind), kind);
      }
    });

    const common = ["SecurityPolicy/llm-tenants-gateway", "BackendTrafficPolicy/llm-tenants-gateway", "AIGatewayRoute/llm-tenants", "SecurityPolicy/llm-tenants", "BackendTrafficPolicy/llm-tenants"];
    for (const [label, opts, names] of [
      ["API-key tenants", keyed, ["ClientTrafficPolicy/llm-tenants-gateway", "ReferenceGrant/llm-tenants-gateway", ...common]],
      ["JWT tenants", jwt, ["ClientTrafficPolicy/llm-tenants-gateway", ...common]],
    ] as const) {
      it(`every object for ${label} is valid`, async () => {
        const objects = tenantGatewayObjects(opts);
        assert.deepStrictEqual(
          objects.map((o) => `${o.kind}/${o.metadata.name}`),
          names,
        );
        for (const o of objects) {
          // The ReferenceGrant is Gateway API's, in ../shared/crds; the rest are the charts' CRDs.
          const problems = o.kind === "ReferenceGrant" ? await kubernetesSchemas().validate(o) : validator.problems(o);
          assert.deepStrictEqual(problems, [], `${o.kind}/${o.metadata.name}`);
        }
      });
    }

    it("catches a ReferenceGrant field Gateway API does not have", async () => {
      const grant = tenantKeysReferenceGrant(keyed);
      assert.ok(grant);
      const broken = { ...grant, spec: { ...grant.spec, to: [{ ...grant.spec.to[0], namespace: "llm-gateway" }] } };
      assert.match(JSON.stringify(await kubernetesSchemas().validate(broken)), /namespace/);
    });

    it("catches a field the CRD does not have", () => {
      const policy = tenantsSecurityPolicy(keyed);
      const broken = { ...policy, spec: { ...policy.spec, apiKeyAuth: { ...policy.spec.apiKeyAuth, forwardClientIdHeader: "x" } } };
      assert.match(validator.problems(broken).join("\n"), /forwardClientIdHeader/);
    });
  });
});

describe("the shared Gateway with tenants on GKE (pure)", () => {
  it("Envoy Gateway serves the Gateway everywhere but GKE, and on GKE once there are tenants", () => {
    const on = (provider: "aws" | "gcp" | "existing", tenants: unknown[], gateway = true) => envoyGatewayServes({ cloud: { provider }, addons: { gateway }, tenants });
    assert.deepStrictEqual([on("aws", []), on("existing", []), on("gcp", []), on("gcp", [{}]), on("gcp", [{}], false)], [true, true, false, true, false]);
  });

  it("takes Envoy Gateway's class on GKE with tenants, behind an internal passthrough load balancer when internal", () => {
    const internal = sharedGateway({ cloud: "gcp", exposure: "internal", labels: {}, envoyOnGke: true });
    assert.strictEqual(internal.spec.gatewayClassName, "llm-platform-envoy");
    assert.deepStrictEqual(internal.spec.infrastructure, { annotations: { "networking.gke.io/load-balancer-type": "Internal" } });
    const internet = sharedGateway({ cloud: "gcp", exposure: "internet", hostname: "llm.example.com", labels: {}, envoyOnGke: true });
    assert.strictEqual(internet.spec.gatewayClassName, "llm-platform-envoy");
    assert.strictEqual(internet.spec.infrastructure, undefined);
    // Without tenants GKE keeps its own classes.
    assert.strictEqual(sharedGateway({ cloud: "gcp", exposure: "internet", labels: {} }).spec.gatewayClassName, "gke-l7-regional-external-managed");
  });
});
