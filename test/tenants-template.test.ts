import * as assert from "assert";
import type { ResolvedTenant } from "../components/config";
import { environmentTenantGrants, EnvironmentTenantGrants, resolveTemplateGrant, TemplateGrant, templateGrantObjects } from "../components/tenants/template-grant";
import { gatewaySecurityPolicy, openAiError, TenantRoutedModel } from "../components/tenants/gateway-objects";
import { templateGrantRequest } from "../components/template";
import { ConfigError } from "../components/config";
import { GatewayCrdValidator } from "./harness/gateway-crds";
import { kubernetesSchemas } from "./harness/schema";

const gateway = { name: "inference-gateway", namespace: "llm-gateway" };
const envTenants: ResolvedTenant[] = [
  { name: "search", credential: { kind: "apiKey", rotation: 2 }, models: ["qwen3-32b"], quotas: { requests: { perMinute: 600 } }, priority: -1 },
  { name: "support-bot", credential: { kind: "apiKey", rotation: 1, secretConfig: "supportKey" }, models: ["qwen3-32b", "llama"], quotas: { outputTokens: { perHour: 1000 } } },
];
const environment: EnvironmentTenantGrants = environmentTenantGrants(envTenants, gateway, [{ servedModelName: "Qwen/Qwen3-32B" }, { servedModelName: "llama" }, { servedModelName: "llama" }]);
const model: TenantRoutedModel = { name: "chat", servedModelName: "Qwen/Qwen3-8B", routing: "llm-d" };
const template = { models: [model], namespace: "chat-team", labels: { l: "v" } };

/** The grant of `names`, which must resolve. */
function granted(names: string[], env: unknown = environment): TemplateGrant {
  const { grant, issues } = resolveTemplateGrant({ tenants: names, environment: env }, template);
  assert.deepStrictEqual(issues, []);
  assert.ok(grant);
  return grant;
}

const issuesOf = (names: string[], env: unknown, models: readonly TenantRoutedModel[] = [model]) =>
  resolveTemplateGrant({ tenants: names, environment: env }, { ...template, models }).issues.map((i) => `${i.path}: ${i.message}`);

describe("the model template's grant of environment tenants", () => {
  it("exports each tenant's identity, ceilings and priority with the Gateway, and no key", () => {
    assert.deepStrictEqual(environment, {
      gateway,
      servedModels: ["Qwen/Qwen3-32B", "llama"],
      tenants: [
        { name: "search", credential: "apiKey", identity: "search", quotas: { requests: { perMinute: 600 } }, priority: -1 },
        { name: "support-bot", credential: "apiKey", identity: "support-bot", quotas: { outputTokens: { perHour: 1000 } } },
      ],
    });
    const jwt = environmentTenantGrants([{ name: "r", credential: { kind: "jwt", issuer: "https://i", audiences: ["a"], jwksUri: "https://i/j", claim: "org", value: "org-1", header: "x-llm-jwt-0123456789ab" }, models: [], quotas: {} }], gateway, []);
    assert.deepStrictEqual(jwt.tenants[0], { name: "r", credential: "jwt", identity: "org-1", jwtHeader: "x-llm-jwt-0123456789ab", quotas: {} });
  });

  it("renders, in the template's namespace, a route for its model, authorization merged into the Gateway's, and the granted tenants' ceilings", () => {
    const objects = templateGrantObjects(granted(["support-bot"]));
    assert.deepStrictEqual(
      objects.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`),
      ["AIGatewayRoute/chat-team/llm-tenants", "SecurityPolicy/chat-team/llm-tenants", "BackendTrafficPolicy/chat-team/llm-tenants"],
    );
    const [route, security, traffic] = objects;
    assert.ok(route.kind === "AIGatewayRoute" && security.kind === "SecurityPolicy" && traffic.kind === "BackendTrafficPolicy");
    assert.deepStrictEqual(route.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", ...gateway }]);
    assert.deepStrictEqual(route.spec.rules, [
      { matches: [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "Qwen/Qwen3-8B" }] }], backendRefs: [{ group: "inference.networking.k8s.io", kind: "InferencePool", name: "chat-router" }] },
    ]);
    assert.deepStrictEqual(security.spec, {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "llm-tenants" }],
      mergeType: "StrategicMerge",
      authorization: {
        defaultAction: "Deny",
        rules: [{ name: "support-bot", action: "Allow", principal: { headers: [{ name: "x-llm-tenant", values: ["support-bot"] }, { name: "x-ai-eg-model", values: ["Qwen/Qwen3-8B"] }] } }],
      },
    });
    // Authentication stays the Gateway's: the template's policy names no keys.
    assert.strictEqual(security.spec.apiKeyAuth, undefined);
    assert.deepStrictEqual(traffic.spec.rateLimit?.global.rules, [
      {
        clientSelectors: [{ headers: [{ name: "x-llm-tenant", type: "Exact", value: "support-bot" }] }],
        limit: { requests: 1000, unit: "Hour" },
        cost: { request: { from: "Number", number: 0 }, response: { from: "Metadata", metadata: { namespace: "io.envoy.ai_gateway", key: "llm_output_token" } } },
      },
    ]);
    assert.deepStrictEqual(
      traffic.spec.responseOverride?.map((o) => [o.match.statusCodes[0].value, o.response.body.inline]),
      ([401, 403, 429] as const).map((s) => [s, openAiError(s)]),
    );
  });

  it("grants JWT tenants on the header only the tenant's own provider writes, and keys their ceilings on the claim value", () => {
    const jwtEnvironment = environmentTenantGrants(
      [
        { name: "research", credential: { kind: "jwt", issuer: "https://i", audiences: ["a"], jwksUri: "https://i/j", claim: "org", value: "org-42", header: "x-llm-jwt-0123456789ab" }, models: [], quotas: { requests: { perMinute: 5 } } },
        { name: "ops", credential: { kind: "jwt", issuer: "https://i", audiences: ["a"], jwksUri: "https://i/j", claim: "org", value: "ops", header: "x-llm-jwt-0123456789ab" }, models: [], quotas: {} },
      ],
      gateway,
      [],
    );
    // The copy holds no issuer, audience or key set, only the header the Gateway's provider fills: the Gateway authenticates.
    assert.deepStrictEqual(jwtEnvironment.tenants[0], { name: "research", credential: "jwt", identity: "org-42", jwtHeader: "x-llm-jwt-0123456789ab", quotas: { requests: { perMinute: 5 } } });
    const [, security, traffic] = templateGrantObjects(granted(["research"], jwtEnvironment));
    assert.ok(security.kind === "SecurityPolicy" && traffic.kind === "BackendTrafficPolicy");
    assert.strictEqual(security.spec.jwt, undefined);
    assert.deepStrictEqual(security.spec.authorization.rules, [
      { name: "research", action: "Allow", principal: { headers: [{ name: "x-llm-jwt-0123456789ab", values: ["org-42"] }, { name: "x-ai-eg-model", values: ["Qwen/Qwen3-8B"] }] } },
    ]);
    assert.deepStrictEqual(traffic.spec.rateLimit?.global.rules.map((r) => r.clientSelectors[0].headers[0].value), ["org-42"]);
    // A JWT tenant's copy without its header, an API-key tenant's with one, or a malformed header are refused by key.
    const [research] = jwtEnvironment.tenants;
    const withoutHeader = { name: research.name, credential: research.credential, identity: research.identity, quotas: research.quotas };
    assert.deepStrictEqual(issuesOf(["research"], { gateway, servedModels: [], tenants: [withoutHeader] }), ["llm-platform:environmentTenants.tenants.0.jwtHeader: is required for a JWT tenant"]);
    assert.deepStrictEqual(issuesOf(["search"], { gateway, servedModels: [], tenants: [{ ...environment.tenants[0], jwtHeader: "x-llm-jwt-0123456789ab" }] }), [
      "llm-platform:environmentTenants.tenants.0.jwtHeader: is only for a JWT tenant",
    ]);
    assert.match(issuesOf(["research"], { gateway, servedModels: [], tenants: [{ ...research, jwtHeader: "x-llm-tenant" }] }).join("\n"), /^llm-platform:environmentTenants\.tenants\.0\.jwtHeader: /);
  });

  it("gives a granted tenant's priority an objective on the template's pool, with the Lua policy on its route", () => {
    const objects = templateGrantObjects(granted(["search", "support-bot"]));
    assert.deepStrictEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      ["AIGatewayRoute/llm-tenants", "SecurityPolicy/llm-tenants", "BackendTrafficPolicy/llm-tenants", "EnvoyExtensionPolicy/llm-tenants", "InferenceObjective/search.chat"],
    );
    const objective = objects[4];
    assert.ok(objective.kind === "InferenceObjective");
    assert.deepStrictEqual(objective.spec, { priority: -1, poolRef: { group: "inference.networking.k8s.io", kind: "InferencePool", name: "chat-router" } });
    assert.strictEqual(objective.metadata.namespace, "chat-team");
  });

  it("every object it renders is valid against the upstream CRDs", async () => {
    const validator = new GatewayCrdValidator();
    for (const o of templateGrantObjects(granted(["search", "support-bot"]))) {
      const problems = o.kind === "InferenceObjective" || o.kind === "EnvoyExtensionPolicy" ? await kubernetesSchemas().validate(o) : validator.problems(o);
      assert.deepStrictEqual(problems, [], `${o.kind}/${o.metadata.name}`);
    }
  });

  it("grants nothing when no tenant is named, and needs no environment copy then", () => {
    assert.deepStrictEqual(resolveTemplateGrant({ tenants: [], environment: undefined }, template), { issues: [] });
  });

  it("refuses, naming the key: no environment copy, a malformed one, an unknown or repeated tenant, an environment without tenants, a foreign identity, no pool", () => {
    assert.match(issuesOf(["search"], undefined).join("\n"), /^llm-platform:environmentTenants: is required .*tenantGrants/);
    assert.match(issuesOf(["search"], { gateway, servedModels: [], tenants: [{ name: "search" }] }).join("\n"), /^llm-platform:environmentTenants\.tenants\.0\.credential: /m);
    assert.deepStrictEqual(issuesOf(["serch", "search", "search"], environment), [
      'llm-platform:tenants[0]: "serch" is not a tenant of the environment (nearest: search, support-bot)',
      'llm-platform:tenants[2]: "search" is listed twice',
    ]);
    assert.deepStrictEqual(issuesOf(["search"], { gateway, servedModels: [], tenants: [] }), ["llm-platform:tenants: the environment has no tenants to grant (its gateway is open or has none configured); leave it empty"]);
    assert.deepStrictEqual(issuesOf(["search"], { gateway, servedModels: [], tenants: [{ ...environment.tenants[0], identity: "someone" }] }), [
      'llm-platform:environmentTenants.tenants.0.identity: is "someone", but an API-key tenant\'s identity is its name "search"',
    ]);
    assert.deepStrictEqual(issuesOf(["support-bot"], environment, [{ ...model, routing: "round-robin" }]), [
      "llm-platform:tenants: the template's models all use round-robin routing, which has no InferencePool for the tenants' route",
    ]);
    // A served name the environment has would put two routes on one model name.
    assert.deepStrictEqual(issuesOf(["search"], environment, [{ ...model, servedModelName: "Qwen/Qwen3-32B" }]), [
      'models[0].servedModelName: "Qwen/Qwen3-32B" is already served by the environment on its Gateway; serve model "chat" under another name',
    ]);
    assert.match(issuesOf(["search"], { gateway, tenants: environment.tenants }).join("\n"), /^llm-platform:environmentTenants\.servedModels: /m);
    assert.deepStrictEqual(issuesOf(["search"], environment, [{ ...model, routing: "kserve" }]), [
      'llm-platform:tenants: tenant "search" has a priority, which KServe\'s own scheduler (routing kserve: chat) does not read',
    ]);
  });

  it("reads the template's prompts: names comma-separated, the environment copy as JSON, nothing for other templates", () => {
    const read = (values: Record<string, string>) => (key: string) => values[key];
    assert.deepStrictEqual(templateGrantRequest("model", read({ tenants: " search, support-bot ", environmentTenants: JSON.stringify(environment) })), {
      tenants: ["search", "support-bot"],
      environment,
    });
    assert.deepStrictEqual(templateGrantRequest("model", read({ tenants: "" })), { tenants: [], environment: undefined });
    assert.strictEqual(templateGrantRequest("aws", read({ tenants: "search" })), undefined);
    assert.throws(
      () => templateGrantRequest("model", read({ tenants: "search", environmentTenants: "{gateway" })),
      (err: unknown) => err instanceof ConfigError && /llm-platform:environmentTenants: is not JSON/.test(err.message),
    );
  });

  it("the Gateway's policy authenticates the granted tenants: the template's route adds no credential of its own", () => {
    // The environment renders the keys; the template's merged policy only names who may call its model.
    const env = gatewaySecurityPolicy({ tenants: envTenants, modelsNamespace: "llm-models", gateway, labels: {} });
    assert.deepStrictEqual(env.spec.apiKeyAuth?.credentialRefs.map((r) => r.name), ["llm-tenant-search-api-key", "llm-tenant-support-bot-api-key"]);
    const [, security] = templateGrantObjects(granted(["search"]));
    assert.ok(security.kind === "SecurityPolicy");
    assert.deepStrictEqual([security.spec.apiKeyAuth, security.spec.jwt], [undefined, undefined]);
  });
});
