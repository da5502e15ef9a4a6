// How the gateway tier runs Envoy Gateway's global rate-limit service (envoyproxy/ratelimit) out
// of cluster: with exactly the environment of the Deployment Envoy Gateway v1.8.1 lays out for it
// (internal/infrastructure/kubernetes/ratelimit/resource.go), changed only where a local process
// cannot do what its Pod does. Pure; test/e2e/harness/rate-limit.ts starts it. Also reads the
// service's `/rlconfig` debug page, which prints the limits Envoy Gateway delivered.

type Json = Record<string, unknown>;
const isMap = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where the local service and what it talks to listen (loopback addresses the caller picks). */
export interface LocalRateLimitAddresses {
  /** The gRPC rate-limit API Envoy calls (in a cluster: the Pod's `grpc` port, 8081). */
  readonly grpc: HostPort;
  /** Its HTTP server: /healthcheck (the Pod's probes) and the JSON API. */
  readonly http: HostPort;
  /** Its debug server: /rlconfig. */
  readonly debug: HostPort;
  /** Its Prometheus metrics (the Pod's `metrics` port). */
  readonly metrics: HostPort;
  /** The local redis-server standing in for the platform's Redis. */
  readonly redis: HostPort;
  /** The host end of the forwarder to Envoy Gateway's rate-limit xDS server (18001). */
  readonly xds: HostPort;
}

/** One variable the local process gets differently from the Deployment, and why. */
export interface EnvChange {
  readonly name: string;
  /** The Deployment's value, or undefined when the service's default applied there. */
  readonly deployment?: string;
  readonly local: string;
  readonly why: string;
}

export interface LocalRateLimit {
  /** The whole environment of the local process: the Deployment's, with `changes` applied. */
  readonly env: Readonly<Record<string, string>>;
  readonly changes: readonly EnvChange[];
  /** The Secret the Pod mounts where the environment names its certificate files. */
  readonly certs: { readonly secretName: string; readonly mountPath: string };
  readonly image: string;
}

/** The container Envoy Gateway names its rate-limit Deployment and container (ratelimit.InfraName). */
export const RATE_LIMIT_NAME = "envoy-ratelimit";
/** The service's own defaults for what the Deployment leaves unset (src/settings/settings.go). */
const DEFAULT_LISTEN = { HOST: "0.0.0.0", PORT: "8080", GRPC_HOST: "0.0.0.0", GRPC_PORT: "8081", DEBUG_HOST: "0.0.0.0", DEBUG_PORT: "6070" } as const;

function field(path: string, why: string): Error {
  return new Error(`${RATE_LIMIT_NAME} Deployment: ${path}: ${why}`);
}

function container(deployment: unknown): { c: Json; pod: Json; path: string } {
  if (!isMap(deployment) || deployment.kind !== "Deployment") {
    throw field("kind", "not a Deployment");
  }
  const pod = (deployment.spec as Json | undefined)?.template as Json | undefined;
  const podSpec = pod?.spec;
  if (!isMap(podSpec) || !Array.isArray(podSpec.containers)) {
    throw field("spec.template.spec.containers", "missing");
  }
  const i = (podSpec.containers as unknown[]).findIndex((c) => isMap(c) && c.name === RATE_LIMIT_NAME);
  if (i < 0) {
    throw field("spec.template.spec.containers", `no container named ${RATE_LIMIT_NAME}`);
  }
  return { c: podSpec.containers[i] as Json, pod: podSpec, path: `spec.template.spec.containers[${i}]` };
}

function plainEnv(c: Json, path: string): Map<string, string> {
  const env = new Map<string, string>();
  for (const [i, e] of ((c.env as unknown[] | undefined) ?? []).entries()) {
    if (!isMap(e) || typeof e.name !== "string") {
      throw field(`${path}.env[${i}]`, "has no name");
    }
    if (e.valueFrom !== undefined) {
      throw field(`${path}.env[${i}] (${e.name})`, "takes its value from the Pod (valueFrom), which a local process does not have");
    }
    env.set(e.name, typeof e.value === "string" ? e.value : "");
  }
  return env;
}

function hostPort(text: string, path: string): HostPort {
  const m = /^(.+):(\d+)$/.exec(text);
  if (m === null) {
    throw field(path, `"${text}" is not host:port`);
  }
  return { host: m[1].replace(/^\[(.*)\]$/, "$1"), port: Number(m[2]) };
}

const join = (a: HostPort) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/** The Secret volume mounted at or above `file`, as the Pod would see it. */
function secretMountOf(file: string, c: Json, pod: Json, path: string): { secretName: string; mountPath: string } {
  const mounts = ((c.volumeMounts as Json[] | undefined) ?? []).filter((m) => typeof m.mountPath === "string" && file.startsWith(`${(m.mountPath as string).replace(/\/$/, "")}/`));
  const volume = ((pod.volumes as Json[] | undefined) ?? []).find((v) => mounts.some((m) => m.name === v.name));
  const secretName = (volume?.secret as Json | undefined)?.secretName;
  if (mounts.length !== 1 || typeof secretName !== "string") {
    throw field(path, `${file} is not in a Secret the container mounts`);
  }
  return { secretName, mountPath: mounts[0].mountPath as string };
}

/**
 * The environment to run the rate-limit service locally with, from the Deployment Envoy Gateway
 * created. Changed only where a local process must differ:
 * - REDIS_URL: the local redis-server;
 * - CONFIG_GRPC_XDS_SERVER_URL: the host end of the forwarder to Envoy Gateway's rate-limit xDS
 *   server; CONFIG_GRPC_XDS_SERVER_TLS_SAN keeps the server-name check the Deployment's URL implies
 *   (the service verifies Envoy Gateway's certificate for the host it dials);
 * - where it listens (gRPC, HTTP, debug, metrics): loopback ports the caller picks, so nothing
 *   collides with other processes on the host.
 * The certificate files keep their paths: the caller provides the Secret at its mount path.
 * Refuses what cannot run locally as the Pod does, naming the field.
 */
export function localRateLimit(deployment: unknown, at: LocalRateLimitAddresses): LocalRateLimit {
  const { c, pod, path } = container(deployment);
  const env = plainEnv(c, path);
  const changes: EnvChange[] = [];
  const set = (name: string, local: string, why: string) => {
    changes.push({ name, deployment: env.get(name), local, why });
    env.set(name, local);
  };
  const need = (name: string): string => {
    const v = env.get(name);
    if (v === undefined || v === "") {
      throw field(`${path}.env`, `no ${name}`);
    }
    return v;
  };

  if (need("CONFIG_TYPE") !== "GRPC_XDS_SOTW") {
    throw field(`${path}.env CONFIG_TYPE`, `"${env.get("CONFIG_TYPE") ?? ""}": the tier expects the limits over xDS from Envoy Gateway (GRPC_XDS_SOTW)`);
  }
  if (env.get("REDIS_SOCKET_TYPE") !== "tcp") {
    throw field(`${path}.env REDIS_SOCKET_TYPE`, `"${env.get("REDIS_SOCKET_TYPE") ?? ""}": the local Redis is reached over tcp`);
  }
  if (env.get("REDIS_TLS") === "true") {
    throw field(`${path}.env REDIS_TLS`, "the local redis-server serves no TLS");
  }
  const grpcPort = ((c.ports as Json[] | undefined) ?? []).find((p) => p.name === "grpc")?.containerPort;
  if (String(grpcPort) !== (env.get("GRPC_PORT") ?? DEFAULT_LISTEN.GRPC_PORT)) {
    throw field(`${path}.ports grpc`, `containerPort ${String(grpcPort)} is not the port the service listens on (${env.get("GRPC_PORT") ?? DEFAULT_LISTEN.GRPC_PORT})`);
  }

  set("REDIS_URL", join(at.redis), "the local redis-server");
  const xds = hostPort(need("CONFIG_GRPC_XDS_SERVER_URL"), `${path}.env CONFIG_GRPC_XDS_SERVER_URL`);
  set("CONFIG_GRPC_XDS_SERVER_URL", join(at.xds), `forwarded to Envoy Gateway's ${xds.port} in its network namespace`);
  if (env.get("CONFIG_GRPC_XDS_SERVER_USE_TLS") === "true" && !env.has("CONFIG_GRPC_XDS_SERVER_TLS_SAN")) {
    set("CONFIG_GRPC_XDS_SERVER_TLS_SAN", xds.host, `Envoy Gateway's certificate is checked for ${xds.host}, the host the Pod dials`);
  }
  const listen = (host: keyof typeof DEFAULT_LISTEN, port: keyof typeof DEFAULT_LISTEN, a: HostPort, what: string) => {
    set(host, a.host, `${what} on loopback`);
    set(port, String(a.port), `${what} on a port the tier picks`);
  };
  listen("GRPC_HOST", "GRPC_PORT", at.grpc, "the rate-limit gRPC API");
  listen("HOST", "PORT", at.http, "the health check");
  listen("DEBUG_HOST", "DEBUG_PORT", at.debug, "the debug server");
  if (env.get("USE_PROMETHEUS") === "true") {
    set("PROMETHEUS_ADDR", join(at.metrics), "the metrics on loopback");
  }

  // Every certificate file the environment names must come from one mounted Secret.
  const certFiles = [...env.entries()].filter(([name, v]) => /_TLS_\w*(CERT|KEY)$/.test(name) && v !== "");
  const mounts = certFiles.map(([name, file]) => secretMountOf(file, c, pod, `${path}.env ${name}`));
  const distinct = [...new Map(mounts.map((m) => [`${m.secretName}@${m.mountPath}`, m])).values()];
  if (distinct.length !== 1) {
    throw field(`${path}.volumeMounts`, `the certificate files come from ${distinct.length} Secrets (${distinct.map((m) => m.secretName).join(", ")}); the tier provides exactly one`);
  }
  return { env: Object.fromEntries(env), changes, certs: distinct[0], image: typeof c.image === "string" ? c.image : "" };
}

/** One limit as `/rlconfig` prints it: `<domain>.<key>_<value>[.<key>_<value>…]: unit=… requests_per_unit=…`. */
export interface LoadedLimit {
  readonly fullKey: string;
  readonly unit: string;
  readonly requestsPerUnit: number;
  readonly shadowMode: boolean;
  readonly quotaMode: boolean;
}

/** The limits the service has loaded, from its `/rlconfig` debug page (src/config/config_impl.go dump). */
export function parseRlconfig(text: string): LoadedLimit[] {
  const out: LoadedLimit[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      continue;
    }
    const m = /^(.+): unit=(\w+) requests_per_unit=(\d+), shadow_mode: (true|false), quota_mode: (true|false)$/.exec(line);
    if (m === null) {
      throw new Error(`/rlconfig: unexpected line "${line}"`);
    }
    out.push({ fullKey: m[1], unit: m[2], requestsPerUnit: Number(m[3]), shadowMode: m[4] === "true", quotaMode: m[5] === "true" });
  }
  return out;
}

/** A global rate-limit rule of a BackendTrafficPolicy (gateway.envoyproxy.io/v1alpha1), as far as read here. */
export interface PlannedRule {
  readonly clientSelectors?: readonly { readonly headers?: readonly unknown[] }[];
  readonly limit: { readonly requests: number; readonly unit: string };
  readonly shared?: boolean;
}

/**
 * Where Envoy Gateway v1.8.1 puts a loaded limit (internal/xds/translator/ratelimit.go
 * BuildRateLimitServiceConfig, addRateLimitDescriptor): a domain, and in it an outer descriptor
 * keyed and valued by the same name, under which each rule's own descriptor sits.
 * - A rule that is not `shared`: the domain is the listener's name, the outer descriptor the
 *   route's IR name (one per HTTPRoute rule and match, e.g.
 *   `httproute/<ns>/<name>/rule/0/match/0/<host>`), so each route rule counts on its own.
 * - A `shared` rule: the domain is `<policy namespace>/<policy name>`, the outer descriptor the
 *   rule's name `<ns>/<policy>/rule/<i>`: one counter whichever route the request took.
 */
export interface LimitScope {
  readonly domain: string;
  readonly descriptor: string;
}

const RULE_KEY = /^(.+?)\.(.+)_\2\.(rule-\d+-match-\d+)_\3$/;

/** The (domain, outer descriptor) scopes of the loaded limits that are rules' descriptors, sorted. */
export function limitScopes(limits: readonly LoadedLimit[]): LimitScope[] {
  const seen = new Map<string, LimitScope>();
  for (const l of limits) {
    const m = RULE_KEY.exec(l.fullKey);
    if (m !== null) {
      seen.set(`${m[1]}\n${m[2]}`, { domain: m[1], descriptor: m[2] });
    }
  }
  return [...seen.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([, v]) => v);
}

/** The descriptor a loaded rule limit answers to, as a ShouldRateLimit call names it (domain and entries), or undefined for other limits. */
export function limitDescriptor(l: LoadedLimit): { domain: string; entries: { key: string; value: string }[] } | undefined {
  const m = RULE_KEY.exec(l.fullKey);
  return m === null ? undefined : { domain: m[1], entries: [{ key: m[2], value: m[2] }, { key: m[3], value: m[3] }] };
}

/** The loaded limits in one scope. */
export function limitsIn(limits: readonly LoadedLimit[], scope: LimitScope): LoadedLimit[] {
  return limits.filter((l) => l.fullKey.startsWith(`${scope.domain}.${scope.descriptor}_${scope.descriptor}.`));
}

const ruleEntry = (domain: string, outer: string, j: number, r: PlannedRule): LoadedLimit => {
  const key = `rule-${j}-match-0`;
  return { fullKey: `${domain}.${outer}_${outer}.${key}_${key}`, unit: r.limit.unit.toUpperCase(), requestsPerUnit: r.limit.requests, shadowMode: false, quotaMode: false };
};

/**
 * The `/rlconfig` entries one BackendTrafficPolicy's global rules get: a shared rule once, in its
 * policy's domain; an unshared one under each of `routes` (the route scopes, from the loaded
 * limits: their IR names are not in the plan). Rule i is the descriptor `rule-<j>-match-0`, j
 * its index among the rules of its kind (getDomainRuleIndex), for one exact header match
 * (buildRateLimitServiceDescriptors); other rule shapes are refused by index.
 */
export function expectedLimits(policy: { readonly namespace: string; readonly name: string }, rules: readonly PlannedRule[], routes: readonly LimitScope[]): LoadedLimit[] {
  const out: LoadedLimit[] = [];
  let shared = 0;
  let unshared = 0;
  rules.forEach((r, i) => {
    const selectors = r.clientSelectors ?? [];
    if (selectors.length !== 1 || selectors[0].headers?.length !== 1) {
      throw new Error(`global rule ${i}: expected one client selector with one header match`);
    }
    if (r.shared === true) {
      const domain = `${policy.namespace}/${policy.name}`;
      out.push(ruleEntry(domain, `${domain}/rule/${i}`, shared++, r));
    } else {
      out.push(...routes.map((s) => ruleEntry(s.domain, s.descriptor, unshared, r)));
      unshared++;
    }
  });
  return out;
}
