import * as assert from "assert";
import { expectedLimits, limitDescriptor, limitScopes, limitsIn, localRateLimit, type LocalRateLimitAddresses, parseRlconfig, type PlannedRule } from "./harness/rate-limit-local";

// The pure part of the gateway tier's rate-limit service (test/e2e/harness/rate-limit.ts): the
// Deployment Envoy Gateway v1.8.1 lays out turned into a local process's environment, and its
// /rlconfig page read back, on hand-made objects shaped like what the controller writes.

type Json = Record<string, unknown>;

const EG_ENV: [string, string][] = [
  ["RUNTIME_ROOT", "/data"],
  ["RUNTIME_SUBDIRECTORY", "ratelimit"],
  ["RUNTIME_IGNOREDOTFILES", "true"],
  ["RUNTIME_WATCH_ROOT", "false"],
  ["LOG_LEVEL", "info"],
  ["USE_STATSD", "false"],
  ["CONFIG_TYPE", "GRPC_XDS_SOTW"],
  ["CONFIG_GRPC_XDS_SERVER_URL", "envoy-gateway:18001"],
  ["CONFIG_GRPC_XDS_NODE_ID", "envoy-ratelimit"],
  ["GRPC_SERVER_USE_TLS", "true"],
  ["GRPC_SERVER_TLS_CERT", "/certs/tls.crt"],
  ["GRPC_SERVER_TLS_KEY", "/certs/tls.key"],
  ["GRPC_SERVER_TLS_CA_CERT", "/certs/ca.crt"],
  ["CONFIG_GRPC_XDS_SERVER_USE_TLS", "true"],
  ["CONFIG_GRPC_XDS_CLIENT_TLS_CERT", "/certs/tls.crt"],
  ["CONFIG_GRPC_XDS_CLIENT_TLS_KEY", "/certs/tls.key"],
  ["CONFIG_GRPC_XDS_SERVER_TLS_CACERT", "/certs/ca.crt"],
  ["FORCE_START_WITHOUT_INITIAL_CONFIG", "true"],
  ["REDIS_SOCKET_TYPE", "tcp"],
  ["REDIS_URL", "llm-ratelimit-redis.llm-gateway.svc.cluster.local:6379"],
  ["USE_PROMETHEUS", "true"],
  ["PROMETHEUS_ADDR", ":19001"],
  ["PROMETHEUS_MAPPER_YAML", "/etc/statsd-exporter/conf.yaml"],
];

function deployment(change: (container: Json, pod: Json) => void = () => undefined): Json {
  const container: Json = {
    name: "envoy-ratelimit",
    image: "docker.io/envoyproxy/ratelimit:ff287602",
    command: ["/bin/ratelimit"],
    env: EG_ENV.map(([name, value]) => ({ name, value })),
    ports: [
      { name: "grpc", containerPort: 8081, protocol: "TCP" },
      { name: "metrics", containerPort: 19001, protocol: "TCP" },
    ],
    volumeMounts: [
      { name: "certs", mountPath: "/certs", readOnly: true },
      { name: "statsd-exporter-config", mountPath: "/etc/statsd-exporter", readOnly: true },
    ],
  };
  const pod: Json = {
    containers: [container],
    volumes: [
      { name: "certs", secret: { secretName: "envoy-rate-limit" } },
      { name: "statsd-exporter-config", configMap: { name: "statsd-exporter-config", optional: true } },
    ],
  };
  change(container, pod);
  return { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "envoy-ratelimit", namespace: "envoy-gateway-system" }, spec: { template: { spec: pod } } };
}

const at: LocalRateLimitAddresses = {
  grpc: { host: "127.0.0.5", port: 8081 },
  http: { host: "127.0.0.1", port: 41080 },
  debug: { host: "127.0.0.1", port: 41070 },
  metrics: { host: "127.0.0.1", port: 41090 },
  redis: { host: "127.0.0.1", port: 46379 },
  xds: { host: "127.0.0.1", port: 41001 },
};

const envOf = (c: Json) => c.env as { name: string; value?: string; valueFrom?: unknown }[];

describe("gateway tier: the rate-limit service's local environment", () => {
  it("keeps the Deployment's environment and changes only the Redis, the xDS server (with its name checked as in the Pod) and where it listens", () => {
    const local = localRateLimit(deployment(), at);
    const expected: Record<string, string> = {
      ...Object.fromEntries(EG_ENV),
      REDIS_URL: "127.0.0.1:46379",
      CONFIG_GRPC_XDS_SERVER_URL: "127.0.0.1:41001",
      CONFIG_GRPC_XDS_SERVER_TLS_SAN: "envoy-gateway",
      GRPC_HOST: "127.0.0.5",
      GRPC_PORT: "8081",
      HOST: "127.0.0.1",
      PORT: "41080",
      DEBUG_HOST: "127.0.0.1",
      DEBUG_PORT: "41070",
      PROMETHEUS_ADDR: "127.0.0.1:41090",
    };
    assert.deepStrictEqual(local.env, expected);
    assert.deepStrictEqual(
      local.changes.map((c) => [c.name, c.deployment, c.local]),
      [
        ["REDIS_URL", "llm-ratelimit-redis.llm-gateway.svc.cluster.local:6379", "127.0.0.1:46379"],
        ["CONFIG_GRPC_XDS_SERVER_URL", "envoy-gateway:18001", "127.0.0.1:41001"],
        ["CONFIG_GRPC_XDS_SERVER_TLS_SAN", undefined, "envoy-gateway"],
        ["GRPC_HOST", undefined, "127.0.0.5"],
        ["GRPC_PORT", undefined, "8081"],
        ["HOST", undefined, "127.0.0.1"],
        ["PORT", undefined, "41080"],
        ["DEBUG_HOST", undefined, "127.0.0.1"],
        ["DEBUG_PORT", undefined, "41070"],
        ["PROMETHEUS_ADDR", ":19001", "127.0.0.1:41090"],
      ],
    );
    assert.deepStrictEqual(local.certs, { secretName: "envoy-rate-limit", mountPath: "/certs" });
    assert.strictEqual(local.image, "docker.io/envoyproxy/ratelimit:ff287602");
  });

  it("keeps a server name the Deployment already sets, and IPv6 loopback addresses bracketed", () => {
    const local = localRateLimit(
      deployment((c) => envOf(c).push({ name: "CONFIG_GRPC_XDS_SERVER_TLS_SAN", value: "envoy-gateway.envoy-gateway-system.svc" })),
      { ...at, redis: { host: "::1", port: 46379 } },
    );
    assert.strictEqual(local.env.CONFIG_GRPC_XDS_SERVER_TLS_SAN, "envoy-gateway.envoy-gateway-system.svc");
    assert.ok(!local.changes.some((c) => c.name === "CONFIG_GRPC_XDS_SERVER_TLS_SAN"));
    assert.strictEqual(local.env.REDIS_URL, "[::1]:46379");
  });

  const refusals: [string, (c: Json, pod: Json) => void, RegExp][] = [
    ["a variable taken from the Pod", (c) => envOf(c).push({ name: "TRACING_SERVICE_INSTANCE_ID", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }), /env\[23\] \(TRACING_SERVICE_INSTANCE_ID\): takes its value from the Pod/],
    ["limits from files rather than xDS", (c) => (envOf(c)[6].value = "FILE"), /CONFIG_TYPE: "FILE": the tier expects the limits over xDS/],
    ["Redis over a Unix socket", (c) => (envOf(c)[18].value = "unix"), /REDIS_SOCKET_TYPE: "unix": the local Redis is reached over tcp/],
    ["Redis with TLS", (c) => envOf(c).push({ name: "REDIS_TLS", value: "true" }), /REDIS_TLS: the local redis-server serves no TLS/],
    ["no xDS server URL", (c) => (c.env = envOf(c).filter((e) => e.name !== "CONFIG_GRPC_XDS_SERVER_URL")), /env: no CONFIG_GRPC_XDS_SERVER_URL/],
    ["an xDS server URL without a port", (c) => (envOf(c)[7].value = "envoy-gateway"), /CONFIG_GRPC_XDS_SERVER_URL: "envoy-gateway" is not host:port/],
    ["a grpc port the service does not listen on", (c) => ((c.ports as Json[])[0].containerPort = 9091), /ports grpc: containerPort 9091 is not the port the service listens on \(8081\)/],
    ["a certificate outside any mounted Secret", (c) => (envOf(c)[10].value = "/etc/tls.crt"), /GRPC_SERVER_TLS_CERT: \/etc\/tls.crt is not in a Secret the container mounts/],
    [
      "certificates from two Secrets",
      (c, pod) => {
        (c.volumeMounts as Json[]).push({ name: "redis-certs", mountPath: "/redis-certs" });
        (pod.volumes as Json[]).push({ name: "redis-certs", secret: { secretName: "redis-client" } });
        envOf(c).push({ name: "REDIS_TLS_CLIENT_CERT", value: "/redis-certs/tls.crt" });
      },
      /the certificate files come from 2 Secrets \(envoy-rate-limit, redis-client\)/,
    ],
    ["no envoy-ratelimit container", (c) => (c.name = "ratelimit"), /containers: no container named envoy-ratelimit/],
  ];
  for (const [what, change, error] of refusals) {
    it(`refuses ${what}, naming the field`, () => {
      assert.throws(() => localRateLimit(deployment(change), at), error);
    });
  }

  it("refuses what is not a Deployment", () => {
    assert.throws(() => localRateLimit({ kind: "StatefulSet" }, at), /envoy-ratelimit Deployment: kind: not a Deployment/);
    assert.throws(() => localRateLimit({ kind: "Deployment", spec: {} }, at), /spec.template.spec.containers: missing/);
  });
});

describe("gateway tier: the rate-limit service's loaded limits", () => {
  const listener = "llm-gateway/inference-gateway/https";
  const policy = { namespace: "llm-models", name: "llm-tenants" };
  const policyDomain = "llm-models/llm-tenants";
  const route = (i: number) => `httproute/llm-models/llm-tenants/rule/${i}/match/0/llm_example_com`;
  const header = { headers: [{ name: "x-llm-tenant", type: "Exact", value: "search" }] };
  const rules: PlannedRule[] = [
    { clientSelectors: [header], limit: { requests: 600, unit: "Minute" }, shared: true },
    { clientSelectors: [header], limit: { requests: 400000, unit: "Minute" }, shared: true },
    { clientSelectors: [header], limit: { requests: 2000000, unit: "Day" }, shared: true },
  ];
  const entry = (domain: string, outer: string, j: number, unit: string, n: number) =>
    `${domain}.${outer}_${outer}.rule-${j}-match-0_rule-${j}-match-0: unit=${unit} requests_per_unit=${n}, shadow_mode: false, quota_mode: false`;
  const sharedPage = [entry(policyDomain, `${policyDomain}/rule/0`, 0, "MINUTE", 600), entry(policyDomain, `${policyDomain}/rule/1`, 1, "MINUTE", 400000), entry(policyDomain, `${policyDomain}/rule/2`, 2, "DAY", 2000000), ""].join("\n");
  const byKey = (a: { fullKey: string }, b: { fullKey: string }) => a.fullKey.localeCompare(b.fullKey);

  it("reads /rlconfig; shared rules are one limit each in the policy's domain, under the rule's name", () => {
    const loaded = parseRlconfig(sharedPage);
    assert.strictEqual(loaded.length, 3);
    assert.deepStrictEqual(loaded[2], { fullKey: `${policyDomain}.${policyDomain}/rule/2_${policyDomain}/rule/2.rule-2-match-0_rule-2-match-0`, unit: "DAY", requestsPerUnit: 2000000, shadowMode: false, quotaMode: false });
    assert.deepStrictEqual(
      limitScopes(loaded).map((s) => s.descriptor),
      [0, 1, 2].map((i) => `${policyDomain}/rule/${i}`),
    );
    assert.deepStrictEqual(expectedLimits(policy, rules, []), loaded);
  });

  it("unshared rules are one limit per route scope in the listener's domain, indexed among the unshared; both kinds mix", () => {
    const mixed: PlannedRule[] = [rules[0], { ...rules[1], shared: undefined }, { ...rules[2], shared: false }];
    const page = [
      entry(policyDomain, `${policyDomain}/rule/0`, 0, "MINUTE", 600),
      ...[0, 1].flatMap((r) => [entry(listener, route(r), 0, "MINUTE", 400000), entry(listener, route(r), 1, "DAY", 2000000)]),
    ].join("\n");
    const loaded = parseRlconfig(page);
    const routes = limitScopes(loaded).filter((s) => s.domain === listener);
    assert.deepStrictEqual(routes, [
      { domain: listener, descriptor: route(0) },
      { domain: listener, descriptor: route(1) },
    ]);
    assert.deepStrictEqual(limitsIn(loaded, routes[1]).length, 2);
    assert.deepStrictEqual(expectedLimits(policy, mixed, routes).sort(byKey), [...loaded].sort(byKey));
  });

  it("finds the domain when a listener name has dots, and ignores keys of other shapes", () => {
    const dotted = "gw/llm.example/https";
    const loaded = parseRlconfig(`${entry(dotted, route(0), 0, "HOUR", 5)}\nother.key_value: unit=SECOND requests_per_unit=1, shadow_mode: true, quota_mode: false\n`);
    assert.deepStrictEqual(limitScopes(loaded), [{ domain: dotted, descriptor: route(0) }]);
    assert.strictEqual(loaded[1].shadowMode, true);
  });

  it("tells a changed ceiling, a missing one, a per-route copy and an empty page apart", () => {
    const expected = expectedLimits(policy, rules, []);
    assert.notDeepStrictEqual(parseRlconfig(sharedPage.replace("requests_per_unit=600,", "requests_per_unit=60,")), expected);
    assert.notDeepStrictEqual(parseRlconfig(sharedPage.split("\n").slice(1).join("\n")), expected);
    assert.notDeepStrictEqual(parseRlconfig(`${sharedPage}${entry(listener, route(0), 0, "MINUTE", 600)}\n`), expected);
    assert.deepStrictEqual(parseRlconfig(""), []);
    assert.deepStrictEqual(limitScopes([]), []);
  });

  it("names a loaded rule limit's descriptor as a ShouldRateLimit call does, and nothing for other limits", () => {
    const [rule, other] = parseRlconfig(`${entry(listener, route(1), 2, "MINUTE", 60)}\nother.key_value: unit=SECOND requests_per_unit=1, shadow_mode: false, quota_mode: false\n`);
    assert.deepStrictEqual(limitDescriptor(rule), {
      domain: listener,
      entries: [
        { key: route(1), value: route(1) },
        { key: "rule-2-match-0", value: "rule-2-match-0" },
      ],
    });
    assert.strictEqual(limitDescriptor(other), undefined);
  });

  it("refuses an unexpected /rlconfig line and a rule shape it does not model", () => {
    assert.throws(() => parseRlconfig("garbage"), /\/rlconfig: unexpected line "garbage"/);
    assert.throws(() => expectedLimits(policy, [{ clientSelectors: [{ headers: [header.headers[0], header.headers[0]] }], limit: { requests: 1, unit: "Hour" } }], []), /global rule 0: expected one client selector with one header match/);
    assert.throws(() => expectedLimits(policy, [rules[0], { limit: { requests: 1, unit: "Hour" } }], []), /global rule 1/);
  });
});
