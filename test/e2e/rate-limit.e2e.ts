import * as assert from "assert";
import * as tls from "tls";
import type { KubernetesObject } from "../../automation/plan/render";
import { type GatewayStack, startGatewayStack } from "./harness/gateway-stack";
import { freePort } from "./harness/local-process";
import { startRateLimit, type RateLimitService } from "./harness/rate-limit";
import { expectedLimits, type LimitScope, limitScopes, limitsIn, type LoadedLimit, type PlannedRule } from "./harness/rate-limit-local";

// The global rate-limit service of the gateway tier on its own: the prod stack's cluster and
// gateway controllers (as gateway-controllers.e2e.ts starts them), then envoyproxy/ratelimit as
// Envoy Gateway v1.8.1 lays it out, with a local Redis. Envoy Gateway must deliver, over its
// rate-limit xDS, exactly the tenants' ceilings of the platform's BackendTrafficPolicy: a shared
// rule once (one counter across the tenant's models), an unshared one per route rule.

type Json = Record<string, unknown>;

/** The planned BackendTrafficPolicies' global rules (the tenants' ceilings), by policy. */
function plannedGlobalRules(planned: readonly KubernetesObject[]): { policy: { namespace: string; name: string }; rules: PlannedRule[] }[] {
  return planned
    .filter((o) => o.kind === "BackendTrafficPolicy")
    .map((o) => ({ policy: { namespace: String(o.metadata.namespace), name: String(o.metadata.name) }, rules: ((((o.spec as Json).rateLimit as Json | undefined)?.global as Json | undefined)?.rules as PlannedRule[] | undefined) ?? [] }))
    .filter((p) => p.rules.length > 0);
}

const byKey = (a: LoadedLimit, b: LoadedLimit) => a.fullKey.localeCompare(b.fullKey);

/** The route scopes (unshared rules, keyed by route) among the loaded limits: in a listener's domain, not a policy's. */
const routeScopes = (loaded: readonly LoadedLimit[]) => limitScopes(loaded).filter((sc) => sc.descriptor.startsWith("httproute/"));

const UNIT_SECONDS: Record<string, number> = { Second: 1, Minute: 60, Hour: 3_600, Day: 86_400 };

/** Waits, when fewer than `marginS` seconds are left in the current window of `unit`, for the next one. */
async function awayFromWindowEnd(unit: string, marginS = 5): Promise<void> {
  const window = UNIT_SECONDS[unit] * 1000;
  const left = window - (Date.now() % window);
  if (left < marginS * 1000) {
    await new Promise((r) => setTimeout(r, left + 100));
  }
}

describe("gateway tier: the global rate-limit service (envoyproxy/ratelimit) configured by Envoy Gateway", function () {
  this.timeout(900_000);
  let stack: GatewayStack | undefined;
  let service: RateLimitService | undefined;
  let rules: PlannedRule[] = [];
  let policy = { namespace: "", name: "" };
  let routes: LimitScope[] = [];

  after(async () => {
    await service?.stop();
    await stack?.stop();
  });

  it("prod: Envoy Gateway lays out the rate-limit Deployment; the service, run with its environment, loads exactly the tenants' ceilings", async function () {
    const start = await startGatewayStack("prod");
    if ("skipped" in start) {
      this.skip();
      return;
    }
    stack = start.started;
    const policies = plannedGlobalRules(stack.planned);
    assert.strictEqual(policies.length, 1, `prod plans one BackendTrafficPolicy with global limits, got ${policies.length}`);
    ({ rules, policy } = policies[0]);
    assert.ok(rules.length >= 2, `the tenants' ceilings: ${rules.length}`);

    service = await startRateLimit(stack.cluster.api, stack.controllers, {
      grpc: { host: "127.0.0.1", port: await freePort() },
      redis: { host: "127.0.0.1", port: await freePort() },
      until: (loaded) => {
        const keys = new Set(loaded.map((l) => l.fullKey));
        return loaded.length > 0 && expectedLimits(policy, rules, routeScopes(loaded)).every((l) => keys.has(l.fullKey));
      },
    });

    // What the Deployment says and what the local process differs in.
    const changed = service.local.changes.map((c) => c.name).sort();
    assert.deepStrictEqual(changed, ["CONFIG_GRPC_XDS_SERVER_TLS_SAN", "CONFIG_GRPC_XDS_SERVER_URL", "DEBUG_HOST", "DEBUG_PORT", "GRPC_HOST", "GRPC_PORT", "HOST", "PORT", "PROMETHEUS_ADDR", "REDIS_URL"]);
    const redisUrl = service.local.changes.find((c) => c.name === "REDIS_URL")?.deployment;
    assert.match(redisUrl ?? "", /^llm-ratelimit-redis\.[^.]+\.svc\.cluster\.local:6379$/, "Envoy Gateway passes the platform's Redis to the service");
    assert.strictEqual(service.local.env.CONFIG_TYPE, "GRPC_XDS_SOTW");
    assert.strictEqual(service.local.certs.secretName, "envoy-rate-limit");

    const loaded = await service.limits();
    routes = routeScopes(loaded);
    // Exactly the tenants' ceilings: shared ones once in the policy's domain, others per route rule.
    assert.deepStrictEqual([...loaded].sort(byKey), expectedLimits(policy, rules, routes).sort(byKey));
    const scopes = limitScopes(loaded);
    process.stdout.write(
      `      rate-limit service: ${loaded.length} limits for ${rules.length} tenant ceilings (${rules.filter((r) => r.shared === true).length} shared), in ${scopes.length} scopes:\n` +
        scopes.map((sc) => `        ${sc.domain}  ${sc.descriptor}: ${limitsIn(loaded, sc).map((l) => `${l.requestsPerUnit}/${l.unit}`).join(", ")}\n`).join("") +
        `      changed from the Deployment: ${service.local.changes.map((c) => `${c.name}=${c.local}`).join(" ")}\n`,
    );
  });

  it("prod: the service's gRPC API serves TLS (h2) with a certificate Envoy's CA trusts, as Envoy Gateway's ratelimit_cluster expects", async function () {
    if (service === undefined || stack === undefined) {
      this.skip();
      return;
    }
    // Envoy trusts /certs/ca.crt of its `envoy` Secret (certgen's CA) and checks no name.
    const got = await stack.cluster.api.kubectl(["get", "secret", "envoy", "-n", stack.controllers.namespace, "-o", "jsonpath={.data.ca\\.crt}"]);
    assert.strictEqual(got.code, 0, got.stderr);
    const ca = Buffer.from(got.stdout, "base64").toString("utf8");
    const grpc = service.addresses.grpc;
    const seen = await new Promise<{ authorized: boolean; error?: string; alpn: string | false | null; subject: string }>((resolve, reject) => {
      const socket = tls.connect({ host: grpc.host, port: grpc.port, ca, ALPNProtocols: ["h2"], checkServerIdentity: () => undefined, rejectUnauthorized: false }, () => {
        const cert = socket.getPeerCertificate();
        resolve({ authorized: socket.authorized, error: socket.authorizationError?.message, alpn: socket.alpnProtocol, subject: String(cert.subjectaltname ?? cert.subject?.CN) });
        socket.end();
      });
      socket.once("error", reject);
    });
    assert.deepStrictEqual({ authorized: seen.authorized, error: seen.error, alpn: seen.alpn }, { authorized: true, error: undefined, alpn: "h2" });
    process.stdout.write(`      gRPC TLS: trusted by the envoy Secret's CA, h2, certificate for ${seen.subject}\n`);
  });

  it("prod: the service counts in Redis: a tenant's request ceiling answers OVER_LIMIT once spent; another tenant's counter, and an unshared ceiling's on another route, are untouched", async function () {
    // The two smallest ceilings on requests (they cost 1 each; token ceilings are charged by the response).
    const requestRules = rules.map((r, i) => ({ r, i, cost: (r as { cost?: unknown }).cost })).filter((x) => x.cost === undefined);
    const svc = service;
    if (svc === undefined || requestRules.length < 2) {
      this.skip();
      return;
    }
    const [a, b] = [...requestRules].sort((x, y) => x.r.limit.requests - y.r.limit.requests);
    const policyDomain = `${policy.namespace}/${policy.name}`;
    // Where rule i is counted (on `route` when it is not shared), its own descriptor numbered
    // among the rules of its kind (getDomainRuleIndex).
    const at = (i: number, route = routes[0]) => {
      const shared = rules[i].shared === true;
      const inner = `rule-${rules.slice(0, i).filter((r) => (r.shared === true) === shared).length}-match-0`;
      const [domain, outer] = shared ? [policyDomain, `${policyDomain}/rule/${i}`] : [route.domain, route.descriptor];
      return { domain, entries: [{ key: outer, value: outer }, { key: inner, value: inner }] };
    };
    const check = (i: number, hits: number, route?: LimitScope) => {
      const { domain, entries } = at(i, route);
      return svc.check(domain, entries, hits);
    };
    const limitOf = (r: PlannedRule) => ({ requestsPerUnit: r.limit.requests, unit: r.limit.unit.toUpperCase() });
    await awayFromWindowEnd(a.r.limit.unit);
    const spent = await check(a.i, a.r.limit.requests);
    const over = await check(a.i, 1);
    const other = await check(b.i, 1);
    assert.deepStrictEqual(spent, { status: 200, code: "OK", limit: limitOf(a.r), limitRemaining: 0 });
    assert.deepStrictEqual(over, { status: 429, code: "OVER_LIMIT", limit: limitOf(a.r), limitRemaining: 0 });
    assert.deepStrictEqual(other, { status: 200, code: "OK", limit: limitOf(b.r), limitRemaining: b.r.limit.requests - 1 });
    let onOtherRoute = "";
    if (a.r.shared !== true && routes.length > 1) {
      // Unshared: the same tenant's ceiling on another route rule (another model) is its own count.
      assert.deepStrictEqual(await check(a.i, 1, routes[1]), { status: 200, code: "OK", limit: limitOf(a.r), limitRemaining: a.r.limit.requests - 1 });
      onOtherRoute = `; on ${routes[1].descriptor}: ${a.r.limit.requests - 1} left`;
    }
    process.stdout.write(`      rule ${a.i} (${a.r.limit.requests} per ${a.r.limit.unit}${a.r.shared === true ? ", shared" : ""}): OK at ${a.r.limit.requests}, OVER_LIMIT at ${a.r.limit.requests + 1}${onOtherRoute}; rule ${b.i}: ${b.r.limit.requests - 1} left\n`);
  });
});
