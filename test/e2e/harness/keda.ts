import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as path from "path";
import type { TestApiServer } from "./api-server";
import { freePort, LocalProcess, selfSignedCert, waitForPort } from "./local-process";

// The KEDA operator (github.com/kedacore/keda/v2@v2.20.2 cmd/operator, built by
// test/e2e/install-keda.sh) run out of cluster against the tier's API server, and a stand-in for
// Prometheus's HTTP API that records what the scalers ask.

/** The operator with its metrics, probe and gRPC metrics-service ports on 127.0.0.1. */
export interface KedaOperator {
  readonly process: LocalProcess;
  /** Where the operator serves its own Prometheus metrics (keda_scaler_metrics_value, …). */
  readonly metricsUrl: string;
}

/**
 * Starts the operator watching every namespace. Its gRPC metrics service (what the metrics API
 * server would call) needs ca.crt/tls.crt/tls.key in --cert-dir: a self-signed pair stands in, as
 * the chart's cert rotation would look for its in-cluster Secret and Services.
 */
export async function startKedaOperator(api: TestApiServer): Promise<KedaOperator> {
  const dir = path.join(api.dir, "keda");
  const certDir = path.join(dir, "certs");
  const ca = await selfSignedCert(certDir);
  fs.writeFileSync(path.join(certDir, "ca.crt"), ca);
  const [metrics, probe, grpc] = [await freePort(), await freePort(), await freePort()];
  const proc = LocalProcess.start(
    api.dir,
    "keda-operator",
    "keda-operator",
    [
      `--kubeconfig=${api.kubeconfig}`,
      `--metrics-bind-address=127.0.0.1:${metrics}`,
      `--health-probe-bind-address=127.0.0.1:${probe}`,
      `--metrics-service-bind-address=127.0.0.1:${grpc}`,
      `--cert-dir=${certDir}`,
      `--ca-dir=${certDir}`,
      "--leader-elect=false",
      "--zap-log-level=info",
    ],
    // WATCH_NAMESPACE empty: all namespaces; the others are read from the pod's service account
    // directory in cluster.
    { WATCH_NAMESPACE: "", POD_NAMESPACE: "keda", KEDA_CLUSTER_OBJECT_NAMESPACE: "keda" },
  );
  try {
    await waitForPort("KEDA operator: health probe", probe, 120_000, [proc]);
  } catch (err) {
    // Not yet handed to the caller, so stopped here.
    await proc.stop();
    throw err;
  }
  return { process: proc, metricsUrl: `http://127.0.0.1:${metrics}/metrics` };
}

/** One instant query a scaler sent. */
export interface SentQuery {
  readonly path: string;
  readonly query: string;
}

/**
 * Answers GET /api/v1/query as Prometheus does (a vector with one sample), with the value
 * `valueOf(query)` gives, and records every query. Unknown paths get 404.
 */
export class PrometheusStandIn {
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    /** Every query received, in order. */
    readonly queries: readonly SentQuery[],
  ) {}

  static async start(valueOf: (query: string) => number | undefined): Promise<PrometheusStandIn> {
    const queries: SentQuery[] = [];
    const server = http.createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const query = url.searchParams.get("query");
      if (url.pathname !== "/api/v1/query" || query === null) {
        res.writeHead(404).end();
        return;
      }
      queries.push({ path: url.pathname, query });
      const value = valueOf(query);
      const result = value === undefined ? [] : [{ metric: {}, value: [Date.now() / 1000, String(value)] }];
      res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ status: "success", data: { resultType: "vector", result } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return new PrometheusStandIn(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, queries);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** Samples of one metric from a Prometheus text exposition, as label maps with their value. */
export function samplesOf(text: string, metric: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split("\n")) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (m === null || m[1] !== metric) {
      continue;
    }
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
      labels[l[1]] = l[2].replace(/\\(.)/g, "$1");
    }
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}
