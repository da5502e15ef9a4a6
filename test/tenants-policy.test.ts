import * as assert from "assert";
import { PLATFORM_TYPE } from "../components/facts";
import { gatewayAuthenticated } from "../policies/security";
import { resource, violations } from "./harness/policy";
import { loadPackConfig } from "../automation/policy/pack-config";

const GW = "kubernetes:gateway.networking.k8s.io/v1:Gateway";
const SP = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy";

const gateway = (exposure: "internet" | "internal") =>
  resource(GW, {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name: "inference-gateway", namespace: "llm-gateway", labels: { "llm-platform.io/exposure": exposure } },
    spec: { gatewayClassName: "llm-platform-envoy", listeners: [{ name: "https", port: 443, protocol: "HTTPS" }] },
  });
const securityPolicy = (name: string, namespace: string, target: { kind: string; name: string }, spec: Record<string, unknown>) =>
  resource(SP, { apiVersion: "gateway.envoyproxy.io/v1alpha1", kind: "SecurityPolicy", metadata: { name, namespace }, spec: { targetRefs: [{ group: "gateway.networking.k8s.io", ...target }], ...spec } });
const gatewayDeny = securityPolicy("llm-tenants-gateway", "llm-gateway", { kind: "Gateway", name: "inference-gateway" }, { authorization: { defaultAction: "Deny" } });
const routeAuth = securityPolicy("llm-tenants", "llm-models", { kind: "HTTPRoute", name: "llm-tenants" }, { apiKeyAuth: { credentialRefs: [{ name: "k" }], extractFrom: [{ headers: ["authorization"] }] } });
const facts = (gateway: Record<string, unknown>) =>
  resource(PLATFORM_TYPE, { facts: { environment: "prod", tier: "prod", cloud: "existing", pools: [], models: [], gateway } }, { custom: false });

describe("internet-gateway-authenticated", () => {
  it("passes an internet gateway the tenants close, and an internal one with nothing", async () => {
    assert.deepStrictEqual(await violations(gatewayAuthenticated, [gateway("internet"), gatewayDeny, routeAuth]), []);
    assert.deepStrictEqual(await violations(gatewayAuthenticated, [gateway("internal")]), []);
  });

  it("fails an internet gateway without authentication, saying how to add tenants or open it on purpose", async () => {
    const v = await violations(gatewayAuthenticated, [gateway("internet")]);
    assert.strictEqual(v.length, 1, v.join("\n"));
    assert.match(v[0], /is internet-facing and lets anyone call it\. List tenants in the stack config .* gateway\.authentication: \{mode: none, reason/);
  });

  it("does not count a policy on another Gateway, in another namespace, or one that neither authenticates nor denies", async () => {
    const elsewhere = securityPolicy("p", "other", { kind: "Gateway", name: "inference-gateway" }, { authorization: { defaultAction: "Deny" } });
    const otherGateway = securityPolicy("p", "llm-gateway", { kind: "Gateway", name: "other" }, { authorization: { defaultAction: "Deny" } });
    const allowAll = securityPolicy("p", "llm-gateway", { kind: "Gateway", name: "inference-gateway" }, { authorization: { defaultAction: "Allow" } });
    for (const p of [elsewhere, otherGateway, allowAll]) {
      assert.strictEqual((await violations(gatewayAuthenticated, [gateway("internet"), p])).length, 1);
    }
  });

  it("fails a route-level policy that replaces the Gateway's with none", async () => {
    const cors = securityPolicy("cors-only", "llm-models", { kind: "HTTPRoute", name: "r" }, { cors: { allowOrigins: ["*"] } });
    const v = await violations(gatewayAuthenticated, [gateway("internet"), gatewayDeny, cors]);
    assert.strictEqual(v.length, 1, v.join("\n"));
    assert.match(v[0], /cors-only replaces the Gateway's authentication on its routes but authenticates nobody/);
  });

  it("passes the platform's explicit opt-out with a reason, and not an implicit one", async () => {
    const explicit = facts({ exposure: "internet", authentication: "none", openReason: "public demo of open models, rate limited upstream", tenants: [] });
    assert.deepStrictEqual(await violations(gatewayAuthenticated, [gateway("internet"), explicit]), []);
    const implicit = facts({ exposure: "internet", authentication: "none", tenants: [] });
    assert.strictEqual((await violations(gatewayAuthenticated, [gateway("internet"), implicit])).length, 1);
  });

  it("is mandatory in prod and advisory in staging and dev", () => {
    assert.deepStrictEqual(
      (["prod", "staging", "dev"] as const).map((tier) => (loadPackConfig(tier).config as Record<string, unknown>)["internet-gateway-authenticated"]),
      ["mandatory", "advisory", "advisory"],
    );
  });
});
