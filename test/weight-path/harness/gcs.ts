/**
 * GCS for the gke-prod stack's weight path, on loopback: fake-gcs-server (built from the module
 * proxy) holding the rendered bucket, and a GKE metadata server stand-in that hands out an access
 * token as Workload Identity's does (the rendered remotes use env_auth, which on GKE reads the
 * metadata server; GCE_METADATA_HOST points Google's Go client at this one). fake-gcs-server does
 * not check tokens or IAM: this proves the commands, not the identities.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import { freePort } from "./s3";

export interface FakeGcs {
  /** The JSON API base rclone's `endpoint` takes. */
  endpoint: string;
  bucket: string;
  /** host:port of the metadata server. */
  metadataHost: string;
  /** Token requests the metadata server answered. */
  tokenRequests: number;
  /** Object names under prefix (the JSON API's list, all pages). */
  list(prefix: string): Promise<string[]>;
  read(name: string): Promise<Buffer>;
  stop(): Promise<void>;
}

function fetchBuffer(url: string, method = "GET", body?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { "Content-Type": "application/json" } : {} }, (res) => {
      const parts: Buffer[] = [];
      res.on("data", (b: Buffer) => parts.push(b));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`timeout: ${method} ${url}`)));
    req.end(body);
  });
}

export async function startFakeGcs(binary: string, bucket: string, logFile: string): Promise<FakeGcs> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const log = fs.openSync(logFile, "a");
  const proc: ChildProcess = spawn(binary, ["-scheme", "http", "-host", "127.0.0.1", "-port", String(port), "-backend", "memory", "-public-host", `127.0.0.1:${port}`, "-external-url", base], {
    env: { PATH: process.env.PATH },
    stdio: ["ignore", log, log],
  });
  fs.closeSync(log);
  let exited = false;
  proc.on("exit", () => (exited = true));
  let tokenRequests = 0;
  const metadata = http.createServer((req, res) => {
    if (req.headers["metadata-flavor"] !== "Google") {
      res.writeHead(403).end();
      return;
    }
    const url = req.url ?? "";
    if (url.startsWith("/computeMetadata/v1/instance/service-accounts/default/token")) {
      tokenRequests++;
      res.writeHead(200, { "Content-Type": "application/json", "Metadata-Flavor": "Google" });
      res.end(JSON.stringify({ access_token: "weight-path-workload-identity-token", expires_in: 3600, token_type: "Bearer" }));
      return;
    }
    if (url.startsWith("/computeMetadata/v1/project/project-id")) {
      res.writeHead(200, { "Metadata-Flavor": "Google" }).end("acme-llm-platform");
      return;
    }
    res.writeHead(200, { "Metadata-Flavor": "Google" }).end("");
  });
  await new Promise<void>((resolve) => metadata.listen(0, "127.0.0.1", resolve));
  const maddr = metadata.address();
  const mport = typeof maddr === "object" && maddr ? maddr.port : 0;
  const stop = async (): Promise<void> => {
    metadata.closeAllConnections();
    await new Promise<void>((resolve) => metadata.close(() => resolve()));
    if (exited) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      proc.once("exit", () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill("SIGTERM");
    });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (exited) throw new Error(`fake-gcs-server exited at start (see ${logFile})`);
      if ((await fetchBuffer(`${base}/storage/v1/b`).catch(() => ({ status: 0 }))).status === 200) break;
      if (Date.now() > deadline) throw new Error("fake-gcs-server did not answer within 30 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const made = await fetchBuffer(`${base}/storage/v1/b?project=acme-llm-platform`, "POST", JSON.stringify({ name: bucket }));
    if (made.status !== 200) throw new Error(`creating bucket ${bucket}: ${made.status} ${made.body.toString()}`);
    const gcs: FakeGcs = {
      endpoint: `${base}/storage/v1/`,
      bucket,
      metadataHost: `127.0.0.1:${mport}`,
      get tokenRequests() {
        return tokenRequests;
      },
      list: async (prefix) => {
        const names: string[] = [];
        let page = "";
        for (;;) {
          const r = await fetchBuffer(`${base}/storage/v1/b/${bucket}/o?prefix=${encodeURIComponent(prefix)}${page ? `&pageToken=${encodeURIComponent(page)}` : ""}`);
          const doc = JSON.parse(r.body.toString()) as { items?: { name: string }[]; nextPageToken?: string };
          names.push(...(doc.items ?? []).map((i) => i.name));
          if (!doc.nextPageToken) return names;
          page = doc.nextPageToken;
        }
      },
      read: async (name) => (await fetchBuffer(`${base}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?alt=media`)).body,
      stop,
    };
    return gcs;
  } catch (e) {
    await stop();
    throw e;
  }
}
