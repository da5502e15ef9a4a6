import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { E2E_BIN, type TestApiServer } from "./api-server";
import { type GatewayControllers, waitForGateway } from "./envoy-gateway";
import { forward } from "./envoy-gateway-forward";
import { freePort, httpAnswer, LocalProcess, waitFor } from "./local-process";
import { type HostPort, type LoadedLimit, localRateLimit, type LocalRateLimit, type LocalRateLimitAddresses, parseRlconfig, RATE_LIMIT_NAME } from "./rate-limit-local";

// Envoy Gateway's global rate-limit service for the gateway tier: envoyproxy/ratelimit (built by
// install-gateway-controllers.sh) run as a local process with the environment of the Deployment
// Envoy Gateway v1.8.1 itself lays out in the tier's API server (rate-limit-local.ts says what
// changes and why), backed by a local redis-server (Debian's, installed by .ci/run), configured
// over xDS by the running Envoy Gateway through the socket startGatewayControllers forwards to its
// rate-limit xDS server (<api.dir>/gateway/ratelimit-xds.sock → 18001 in its network namespace).
//
// What the data path must wire for Envoy to reach it:
// - Envoy Gateway's xDS gives Envoy the cluster `ratelimit_cluster`: a DNS cluster for
//   `envoy-ratelimit.<eg-namespace>.svc.cluster.local:8081` (ratelimit.GetServiceURL), TLS with
//   Envoy's client certificate by SDS and the CA from /certs/ca.crt (the `envoy` Secret). This
//   module serves the gRPC API on `opts.grpc`, with the `envoy-rate-limit` Secret's certificate:
//   make that name resolve to opts.grpc.host and give port 8081 (or rewrite the cluster's port).
// - The service verifies no client certificate (Envoy Gateway sets GRPC_SERVER_TLS_CA_CERT, a
//   variable this service does not read; it reads GRPC_CLIENT_TLS_CACERT), as in a cluster.
// - Counters live in the redis-server at `opts.redis`; `limits()` reads what Envoy Gateway
//   delivered.

const CERTS_WRAPPER = path.join(__dirname, "envoy-gateway-certs.sh");
/** How long Envoy Gateway gets to lay out the Deployment, and the service to load its limits. */
const START_TIMEOUT_MS = 120_000;

type Json = Record<string, unknown>;

export interface RateLimitOptions {
  /** Where the gRPC rate-limit API listens (the caller makes Envoy's cluster address resolve here). */
  readonly grpc: HostPort;
  /** Where the local redis-server listens. */
  readonly redis: HostPort;
  /** Resolves the start once the loaded limits satisfy this (default: at least one limit). */
  readonly until?: (limits: readonly LoadedLimit[]) => boolean;
  readonly timeoutMs?: number;
}

export interface RateLimitService {
  /** The Deployment Envoy Gateway created, as read from the API server. */
  readonly deployment: Json;
  /** The local environment and what differs from the Deployment's. */
  readonly local: LocalRateLimit;
  readonly addresses: LocalRateLimitAddresses;
  readonly service: LocalProcess;
  readonly redis: LocalProcess;
  /** The limits the service has loaded now (its /rlconfig). */
  limits(): Promise<LoadedLimit[]>;
  /**
   * One ShouldRateLimit call through the service's JSON API (the same service logic Envoy's gRPC
   * call reaches): `hits` added to the counter of one descriptor in `domain`.
   */
  check(domain: string, entries: readonly { readonly key: string; readonly value: string }[], hits: number): Promise<RateLimitAnswer>;
  stop(): Promise<void>;
}

export interface RateLimitAnswer {
  /** 200 when under the limit, 429 over it. */
  readonly status: number;
  /** OK or OVER_LIMIT. */
  readonly code: string;
  /** The limit that applied (requests per unit), or undefined when no configured limit matched. */
  readonly limit?: { readonly requestsPerUnit: number; readonly unit: string };
  readonly limitRemaining: number;
}

/** The socket startGatewayControllers forwards to Envoy Gateway's rate-limit xDS server. */
export function rateLimitXdsSocket(api: TestApiServer): string {
  return path.join(api.dir, "gateway", "ratelimit-xds.sock");
}

function redisServer(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter).concat(["/usr/bin", "/usr/sbin"])) {
    const file = path.join(dir, "redis-server");
    if (dir !== "" && fs.existsSync(file)) {
      return file;
    }
  }
  throw new Error("redis-server is not installed: apt-get install redis-server (.ci/run does)");
}

const get = (at: HostPort, route: string, body?: string) => httpAnswer({ host: at.host, port: at.port, path: route }, body);

/** True once a Redis at `at` answers PING with PONG. */
export function redisAnswers(at: HostPort): Promise<true | undefined> {
  return new Promise((resolve) => {
    const s = net.connect(at.port, at.host);
    let got = "";
    const done = (v: true | undefined) => {
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(undefined), 2_000);
    s.once("connect", () => s.write("PING\r\n"));
    s.on("data", (d) => {
      got += d.toString("latin1");
      if (got.includes("\r\n")) {
        done(got.startsWith("+PONG") ? true : undefined);
      }
    });
    s.once("error", () => done(undefined));
  });
}

async function readJson(api: TestApiServer, args: readonly string[]): Promise<Json | undefined> {
  const got = await api.kubectl([...args, "-o", "json"]);
  return got.code === 0 ? (JSON.parse(got.stdout) as Json) : undefined;
}

/**
 * Starts redis-server and the rate-limit service as Envoy Gateway laid it out, and waits until the
 * service has its limits from Envoy Gateway (`opts.until`) and Redis answers. Stops what it started
 * when a step fails.
 */
export async function startRateLimit(api: TestApiServer, controllers: GatewayControllers, opts: RateLimitOptions): Promise<RateLimitService> {
  const ns = controllers.namespace;
  const timeout = opts.timeoutMs ?? START_TIMEOUT_MS;
  const what = `Envoy Gateway lays out Deployment ${ns}/${RATE_LIMIT_NAME}`;
  const deployment = await waitForGateway(controllers, what, timeout, async () => {
    // It tries once, at start (internal/infrastructure/runner): a failure is final.
    const failed = controllers.envoyGateway.grep(/failed to create ratelimit infra/, 1);
    if (failed.length > 0) {
      throw new Error(`${what}: it failed:\n${failed[0]}`);
    }
    return readJson(api, ["get", "deployment", RATE_LIMIT_NAME, "-n", ns]);
  });
  const xdsSocket = rateLimitXdsSocket(api);
  if (!fs.existsSync(xdsSocket)) {
    throw new Error(`${xdsSocket} is missing: startGatewayControllers forwards it to Envoy Gateway's rate-limit xDS server (18001)`);
  }
  const binary = path.join(E2E_BIN, "ratelimit");
  if (!fs.existsSync(binary)) {
    throw new Error(`ratelimit is not built in ${E2E_BIN}: run sh test/e2e/install-gateway-controllers.sh`);
  }
  const dir = path.join(api.dir, "gateway", "ratelimit");
  fs.mkdirSync(path.join(dir, "redis"), { recursive: true });

  const started: LocalProcess[] = [];
  let forwarder: net.Server | undefined;
  const stopAll = async () => {
    for (const p of started.reverse()) {
      await p.stop();
    }
    forwarder?.close();
  };
  try {
    const xdsPort = await freePort();
    forwarder = await forward({ tcp: { host: "127.0.0.1", port: xdsPort } }, { unix: xdsSocket });
    const loopback = async (): Promise<HostPort> => ({ host: "127.0.0.1", port: await freePort() });
    const addresses: LocalRateLimitAddresses = { grpc: opts.grpc, redis: opts.redis, xds: { host: "127.0.0.1", port: xdsPort }, http: await loopback(), debug: await loopback(), metrics: await loopback() };
    const local = localRateLimit(deployment, addresses);

    // The Secret the Pod mounts, at the same path through the tier's mount-namespace wrapper.
    const secret = await readJson(api, ["get", "secret", local.certs.secretName, "-n", ns]);
    const data = (secret?.data as Record<string, string> | undefined) ?? {};
    if (secret === undefined || Object.keys(data).length === 0) {
      throw new Error(`Secret ${ns}/${local.certs.secretName} (the rate-limit service's certificates, made by certgen) is missing or empty`);
    }
    if (local.certs.mountPath !== "/certs") {
      throw new Error(`the ${RATE_LIMIT_NAME} Deployment mounts its certificates at ${local.certs.mountPath}; the tier provides /certs only`);
    }
    const certs = path.join(dir, "certs");
    fs.mkdirSync(certs, { recursive: true });
    for (const [key, value] of Object.entries(data)) {
      fs.writeFileSync(path.join(certs, key), Buffer.from(value, "base64"), { mode: 0o600 });
    }

    // Counters only, as the platform runs its Redis (rate-limit-store.ts): no snapshots, no AOF.
    const redis = LocalProcess.startFile(
      api.dir,
      "redis-server",
      redisServer(),
      ["--bind", opts.redis.host, "--port", String(opts.redis.port), "--dir", path.join(dir, "redis"), "--save", "", "--appendonly", "no", "--protected-mode", "no"],
      {},
      "redis-server is missing",
    );
    started.push(redis);
    await waitFor("redis-server answers PING", timeout, () => redisAnswers(opts.redis), [redis]);

    // Exactly the Deployment's environment (plus PATH for the wrapper), nothing of the host's.
    const envArgs = Object.entries(local.env).map(([k, v]) => `${k}=${v}`);
    const service = LocalProcess.startFile(
      api.dir,
      "ratelimit",
      "/usr/bin/env",
      ["-i", `PATH=${process.env.PATH ?? "/usr/bin:/bin"}`, ...envArgs, "/bin/sh", CERTS_WRAPPER, dir, certs, binary],
      {},
      "/usr/bin/env is missing",
    );
    started.push(service);
    const watched = [service, redis, controllers.envoyGateway];
    await waitFor("rate-limit service: /healthcheck", timeout, async () => ((await get(addresses.http, "/healthcheck"))?.status === 200 ? true : undefined), watched);
    const limits = async (): Promise<LoadedLimit[]> => {
      const got = await get(addresses.debug, "/rlconfig");
      if (got === undefined || got.status !== 200) {
        throw new Error(`rate-limit service: /rlconfig answered ${got === undefined ? "nothing" : String(got.status)}`);
      }
      return parseRlconfig(got.body);
    };
    const until = opts.until ?? ((l: readonly LoadedLimit[]) => l.length > 0);
    await waitFor("rate-limit service: its limits from Envoy Gateway", timeout, async () => (until(await limits()) ? true : undefined), watched).catch(async (err: Error) => {
      throw new Error(`${err.message}\nloaded:\n${(await limits().catch(() => [])).map((l) => l.fullKey).join("\n")}\nits log:\n${service.tail(15)}`);
    });
    const check = async (domain: string, entries: readonly { key: string; value: string }[], hits: number): Promise<RateLimitAnswer> => {
      // On the descriptor, where 0 means "check only" (the request's hitsAddend counts 0 as 1, src/utils/utilities.go GetHitsAddends).
      const got = await get(addresses.http, "/json", JSON.stringify({ domain, descriptors: [{ entries, hitsAddend: hits }] }));
      if (got === undefined || (got.status !== 200 && got.status !== 429)) {
        throw new Error(`rate-limit service: /json answered ${got === undefined ? "nothing" : `${got.status} ${got.body}`}`);
      }
      // protojson leaves out zero values: no limitRemaining is 0.
      const answer = JSON.parse(got.body) as { overallCode?: string; statuses?: { currentLimit?: { requestsPerUnit?: number; unit?: string }; limitRemaining?: number }[] };
      const status = answer.statuses?.[0];
      const limit = status?.currentLimit === undefined ? undefined : { requestsPerUnit: status.currentLimit.requestsPerUnit ?? 0, unit: status.currentLimit.unit ?? "" };
      return { status: got.status, code: answer.overallCode ?? "", limit, limitRemaining: status?.limitRemaining ?? 0 };
    };
    return { deployment, local, addresses, service, redis, limits, check, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
