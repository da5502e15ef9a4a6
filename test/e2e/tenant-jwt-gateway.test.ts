import * as assert from "assert";
import type { ResolvedTenant } from "../../components/tenants/config";
import { tenantGatewayObjects, TENANT_HEADER, TENANTS_GATEWAY_POLICY, TENANTS_ROUTE } from "../../components/tenants/gateway-objects";
import { jwtProviderHeader } from "../../components/tenants/jwt-provider";
import { environmentTenantGrants, resolveTemplateGrant, templateGrantObjects } from "../../components/tenants/template-grant";
import { GATEWAY_ONLY_ROUTE, HTTP_LISTENER_PORT, listenerPorts, seenHeader, tenantGatewaySetup, withListenerPorts, withLocalJwks } from "./harness/tenant-jwt-gateway";

type Json = Record<string, unknown>;

const LOGIN = { issuer: "https://login.example.com", audiences: ["llm"], jwksUri: "https://login.example.com/jwks.json", claim: "tenant" };
const jwtTenant = (name: string, models: string[], issuer = LOGIN): ResolvedTenant => ({
  name,
  credential: { kind: "jwt", ...issuer, value: name, header: jwtProviderHeader(issuer) },
  models,
  quotas: {},
});

const platformObjects = (): Json[] => [
  ...(tenantGatewayObjects({
    tenants: [jwtTenant("research", ["llama", "qwen"]), jwtTenant("analytics", ["qwen"])],
    models: [
      { name: "llama", servedModelName: "meta/llama", routing: "llm-d" },
      { name: "qwen", servedModelName: "Qwen/Qwen3", routing: "llm-d" },
    ],
    modelsNamespace: "llm-models",
    gateway: { name: "inference-gateway", namespace: "llm-gateway" },
    labels: {},
  }) as unknown as Json[]),
  { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", metadata: { name: "envoy" }, spec: { controllerName: "gateway.envoyproxy.io/gatewayclass-controller" } },
  {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "inference-gateway", namespace: "llm-gateway" },
    spec: {
      gatewayClassName: "envoy",
      listeners: [{ name: "https", port: 443, protocol: "HTTPS", hostname: "llm.example.com", allowedRoutes: { namespaces: { from: "Same" } }, tls: { certificateRefs: [{ name: "tls" }] } }],
    },
  },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "llm-gateway" } },
  { apiVersion: "v1", kind: "Namespace", metadata: { name: "llm-models" } },
];

const named = (objects: readonly Json[], kind: string, name: string): Json | undefined => objects.find((o) => o.kind === kind && (o.metadata as Json).name === name);

describe("tenant JWT gateway setup (pure)", () => {
  it("keeps the platform's policies, GatewayClass and Namespaces as rendered and gives the Gateway one plain HTTP listener", () => {
    const rendered = platformObjects();
    const setup = tenantGatewaySetup(rendered, TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, [TENANT_HEADER]);
    for (const [kind, name] of [
      ["SecurityPolicy", TENANTS_GATEWAY_POLICY],
      ["SecurityPolicy", TENANTS_ROUTE],
      ["ClientTrafficPolicy", TENANTS_GATEWAY_POLICY],
      ["GatewayClass", "envoy"],
      ["Namespace", "llm-gateway"],
      ["Namespace", "llm-models"],
    ]) {
      assert.strictEqual(named(setup.input, kind, name), named(rendered, kind, name), `${kind} ${name} passes through unchanged`);
    }
    // Nothing else of the platform's (the BackendTrafficPolicies, the AIGatewayRoute) is in.
    assert.deepStrictEqual(setup.input.map((o) => o.kind).sort(), [
      "ClientTrafficPolicy",
      "Gateway",
      "GatewayClass",
      "HTTPRoute",
      "HTTPRoute",
      "HTTPRouteFilter",
      "HTTPRouteFilter",
      "HTTPRouteFilter",
      "Namespace",
      "Namespace",
      "SecurityPolicy",
      "SecurityPolicy",
    ]);
    const gateway = named(setup.input, "Gateway", "inference-gateway") as Json;
    assert.deepStrictEqual((gateway.spec as Json).listeners, [{ name: "http", protocol: "HTTP", port: HTTP_LISTENER_PORT, hostname: "llm.example.com", allowedRoutes: { namespaces: { from: "Same" } } }]);
    assert.strictEqual(setup.gateway, "llm-gateway/inference-gateway");
    assert.strictEqual(setup.hostname, "llm.example.com");
    assert.deepStrictEqual(setup.claimHeaders, [TENANT_HEADER, jwtProviderHeader(LOGIN)]);
  });

  it("answers each model's rule of the AIGatewayRoute directly, echoing the tenant headers, and adds a route with no policy", () => {
    const setup = tenantGatewaySetup(platformObjects(), TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, [TENANT_HEADER, "x-extra"]);
    const route = named(setup.input, "HTTPRoute", TENANTS_ROUTE) as Json;
    assert.deepStrictEqual((route.metadata as Json).namespace, "llm-models");
    const rules = (route.spec as { rules: Json[] }).rules;
    assert.deepStrictEqual(
      rules.map((r) => r.matches),
      [[{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "meta/llama" }] }], [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "Qwen/Qwen3" }] }]],
    );
    assert.deepStrictEqual(rules.map((r) => (r.filters as { extensionRef: { name: string } }[])[0].extensionRef.name), [`${TENANTS_ROUTE}-0`, `${TENANTS_ROUTE}-1`]);
    const answer = named(setup.input, "HTTPRouteFilter", `${TENANTS_ROUTE}-1`) as { spec: { directResponse: Json } };
    assert.deepStrictEqual(answer.spec.directResponse, {
      statusCode: 200,
      contentType: "text/plain",
      body: { type: "Inline", inline: "Qwen/Qwen3" },
      header: {
        add: [TENANT_HEADER, jwtProviderHeader(LOGIN), "x-extra"].map((h) => ({ name: seenHeader(h), value: `%REQ(${h})%` })),
      },
    });
    const other = named(setup.input, "HTTPRoute", GATEWAY_ONLY_ROUTE) as { spec: { rules: Json[] } };
    assert.deepStrictEqual(other.spec.rules[0].matches, [{ path: { type: "PathPrefix", value: "/llm-models/gateway-only" } }]);
    assert.strictEqual(setup.gatewayOnlyPath, "/llm-models/gateway-only");
  });

  it("names what is missing or wrong among the rendered objects", () => {
    const without = (kind: string, name: string) => platformObjects().filter((o) => !(o.kind === kind && (o.metadata as Json).name === name));
    assert.throws(() => tenantGatewaySetup(without("ClientTrafficPolicy", TENANTS_GATEWAY_POLICY), TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, []), /the early header removal: expected one ClientTrafficPolicy named llm-tenants-gateway .* found 0/);
    assert.throws(() => tenantGatewaySetup(without("Gateway", "inference-gateway"), TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, []), /parent Gateway llm-gateway\/inference-gateway is not among the rendered objects/);
    assert.throws(() => tenantGatewaySetup(without("Namespace", "llm-models"), TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, []), /lack the Namespace llm-gateway or llm-models/);
    const foreign = platformObjects().map((o) => (o.kind === "GatewayClass" ? { ...o, spec: { controllerName: "networking.gke.io/gateway" } } : o));
    assert.throws(() => tenantGatewaySetup(foreign, TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, []), /GatewayClass envoy: spec.controllerName is networking.gke.io\/gateway, not Envoy Gateway's/);
    const template = grantedObjects();
    assert.throws(() => tenantGatewaySetup(platformObjects(), TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, [], template.filter((o) => o.kind !== "SecurityPolicy")), /the model template's access rules: expected one SecurityPolicy named llm-tenants .* found 0/);
    assert.throws(() => tenantGatewaySetup(platformObjects(), TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, [], template.filter((o) => o.kind !== "Namespace")), /the model template's namespace: expected one Namespace named chat-team .* found 0/);
  });

  it("adds a model template's route, answering directly in its namespace, and its access rules as rendered", () => {
    const template = grantedObjects();
    const setup = tenantGatewaySetup(platformObjects(), TENANTS_ROUTE, TENANTS_GATEWAY_POLICY, [], template);
    const inTemplate = setup.input.filter((o) => (o.metadata as Json).namespace === "chat-team" || (o.metadata as Json).name === "chat-team");
    assert.deepStrictEqual(inTemplate.map((o) => `${String(o.kind)}/${String((o.metadata as Json).name)}`), ["Namespace/chat-team", "HTTPRoute/llm-tenants", "HTTPRouteFilter/llm-tenants-0", "SecurityPolicy/llm-tenants"]);
    assert.strictEqual(inTemplate[3], template.find((o) => o.kind === "SecurityPolicy"));
    const route = inTemplate[1] as { spec: { parentRefs: Json[]; rules: { matches: unknown }[] } };
    assert.deepStrictEqual(route.spec.parentRefs, [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "inference-gateway", namespace: "llm-gateway" }]);
    assert.deepStrictEqual(route.spec.rules[0].matches, [{ headers: [{ type: "Exact", name: "x-ai-eg-model", value: "chat" }] }]);
  });
});

/** What a model template stack granting analytics renders for its route (template-grant.ts). */
function grantedObjects(): Json[] {
  const { grant, issues } = resolveTemplateGrant(
    { tenants: ["analytics"], environment: environmentTenantGrants([jwtTenant("analytics", ["qwen"])], { name: "inference-gateway", namespace: "llm-gateway" }, []) },
    { models: [{ name: "chat", servedModelName: "chat", routing: "llm-d" }], namespace: "chat-team", labels: {} },
  );
  assert.deepStrictEqual(issues, []);
  assert.ok(grant);
  return [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "chat-team" } }, ...(templateGrantObjects(grant) as unknown as Json[])];
}

const JWT_AUTHN = "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication";
const provider = (issuer: string): Json => ({
  issuer,
  audiences: ["llm"],
  claimToHeaders: [{ claimName: "tenant", headerName: TENANT_HEADER }],
  forward: true,
  remoteJwks: { httpUri: { uri: `${issuer}/jwks.json`, cluster: "jwks", timeout: "10s" }, asyncFetch: {} },
});
const dump = (providers: Record<string, Json>): Json => ({
  configs: [
    {
      "@type": "type.googleapis.com/envoy.admin.v3.ListenersConfigDump",
      dynamicListeners: [{ activeState: { listener: { name: "l", httpFilters: [{ name: "envoy.filters.http.jwt_authn", typedConfig: { "@type": JWT_AUTHN, providers } }] } } }],
    },
    { "@type": "type.googleapis.com/envoy.admin.v3.ClustersConfigDump", dynamicActiveClusters: [{ cluster: { name: "jwks", type: "STRICT_DNS" } }] },
  ],
});

describe("withLocalJwks", () => {
  it("replaces each provider's remote key set by its issuer's inline JWKS and changes nothing else", () => {
    const before = dump({ "route/a": provider("https://a.example"), "route/b": provider("https://b.example") });
    const copy = JSON.parse(JSON.stringify(before)) as Json;
    const got = withLocalJwks(before, { "https://a.example": '{"keys":["a"]}', "https://b.example": '{"keys":["b"]}' });
    assert.deepStrictEqual(got.providers, ["route/a", "route/b"]);
    const local = (issuer: string, keys: string): Json => {
      const p: Json = { ...provider(issuer), localJwks: { inlineString: keys } };
      delete p.remoteJwks;
      return p;
    };
    assert.deepStrictEqual(got.dump, dump({ "route/a": local("https://a.example", '{"keys":["a"]}'), "route/b": local("https://b.example", '{"keys":["b"]}') }));
    assert.deepStrictEqual(before, copy, "the input is not modified");
  });

  it("refuses a dump without JWT providers, a provider without a remote key set, and an issuer without a key set", () => {
    assert.throws(() => withLocalJwks({ configs: [] }, {}), /has no JWT provider/);
    const local = { ...provider("https://a.example"), localJwks: { inlineString: "{}" } };
    delete (local as Json).remoteJwks;
    assert.throws(() => withLocalJwks(dump({ "route/a": local }), { "https://a.example": "{}" }), /JWT provider route\/a: no remoteJwks to replace \(it already has localJwks\)/);
    assert.throws(() => withLocalJwks(dump({ "route/a": provider("https://a.example") }), {}), /JWT provider route\/a: no JWKS given for its issuer https:\/\/a.example/);
  });
});

describe("listener ports of a static bootstrap", () => {
  const bootstrap = {
    admin: {},
    staticResources: {
      clusters: [{ name: "c" }],
      listeners: [
        { name: "gw", address: { socketAddress: { address: "127.0.0.1", portValue: 8080 } } },
        { name: "ready", address: { socketAddress: { address: "127.0.0.1", portValue: 19003 } } },
      ],
    },
  };

  it("lists them and moves each to its given port, keeping the rest", () => {
    assert.deepStrictEqual(listenerPorts(bootstrap), [8080, 19003]);
    const moved = withListenerPorts(bootstrap, new Map([[8080, 41000], [19003, 41001]]));
    assert.deepStrictEqual(listenerPorts(moved), [41000, 41001]);
    assert.deepStrictEqual((moved.staticResources as Json).clusters, [{ name: "c" }]);
    assert.strictEqual(bootstrap.staticResources.listeners[0].address.socketAddress.portValue, 8080, "the input is not modified");
  });

  it("refuses a listener whose port has no new one, or that has no port", () => {
    assert.throws(() => withListenerPorts(bootstrap, new Map([[8080, 41000]])), /listener ready: no port given for its port 19003/);
    assert.throws(() => listenerPorts({ staticResources: { listeners: [{ name: "pipe", address: { pipe: { path: "/x" } } }] } }), /listener pipe: no socket address with a port/);
  });
});
