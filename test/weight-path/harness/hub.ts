/**
 * A Hugging Face–compatible endpoint on loopback (HF_ENDPOINT) serving generated model
 * repositories at fixed commits, with the routes and headers huggingface_hub 1.9.0 uses for
 * `hf download` and `model_info` (hf_api.py model_info, _snapshot_download.py,
 * file_download.py get_hf_file_metadata, utils/_http.py hf_raise_for_status):
 *   GET  /api/models/<repo>/revision/<rev>   → {id, sha, siblings: [{rfilename}], ...}
 *   HEAD /<repo>/resolve/<rev>/<file>        → X-Repo-Commit, X-Linked-Etag/ETag, Content-Length
 *   GET  /<repo>/resolve/<rev>/<file>        → the bytes (Range honoured)
 * A gated repository answers 401 with X-Error-Code: GatedRepo unless the request carries its token.
 */
import * as crypto from "crypto";
import * as http from "http";

export interface HubRepo {
  id: string;
  /** Branch or tag → commit. */
  refs: Record<string, string>;
  /** Commit → files (relative path → bytes). */
  commits: Record<string, Record<string, Buffer>>;
  /** The token a gated repository requires. */
  token?: string;
}

export interface HubRequest {
  method: string;
  path: string;
  status: number;
}

export interface Hub {
  endpoint: string;
  repos: Map<string, HubRepo>;
  requests: HubRequest[];
  stop(): Promise<void>;
}

function resolveRev(repo: HubRepo, rev: string): string | undefined {
  if (repo.commits[rev]) return rev;
  return repo.refs[rev];
}

export async function startHub(repos: HubRepo[]): Promise<Hub> {
  const map = new Map(repos.map((r) => [r.id, r]));
  const requests: HubRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const p = decodeURIComponent(url.pathname);
    const send = (status: number, headers: Record<string, string | number>, body?: Buffer | string) => {
      requests.push({ method: req.method ?? "", path: p, status });
      res.writeHead(status, headers);
      res.end(req.method === "HEAD" ? undefined : body);
    };
    const error = (status: number, code: string, message: string) =>
      send(status, { "Content-Type": "application/json", "X-Error-Code": code, "X-Error-Message": message }, JSON.stringify({ error: message }));
    const authorised = (repo: HubRepo) => !repo.token || req.headers.authorization === `Bearer ${repo.token}`;
    const info = /^\/api\/models\/(.+)\/revision\/([^/]+)$/.exec(p);
    const file = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (info && req.method === "GET") {
      const repo = map.get(info[1]);
      if (!repo) return error(404, "RepoNotFound", `Repository Not Found for url: ${p}`);
      if (!authorised(repo)) return error(401, "GatedRepo", `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      const sha = resolveRev(repo, info[2]);
      if (!sha) return error(404, "RevisionNotFound", `Invalid rev id: ${info[2]}`);
      const files = repo.commits[sha];
      return send(200, { "Content-Type": "application/json" }, JSON.stringify({
        _id: sha.slice(0, 24),
        id: repo.id,
        modelId: repo.id,
        sha,
        private: false,
        gated: repo.token ? "manual" : false,
        disabled: false,
        downloads: 0,
        likes: 0,
        tags: [],
        lastModified: "2026-01-01T00:00:00.000Z",
        createdAt: "2026-01-01T00:00:00.000Z",
        siblings: Object.keys(files).sort().map((rfilename) => ({ rfilename })),
      }));
    }
    if (file && (req.method === "GET" || req.method === "HEAD")) {
      const repo = map.get(file[1]);
      if (!repo) return error(404, "RepoNotFound", `Repository Not Found for url: ${p}`);
      if (!authorised(repo)) return error(401, "GatedRepo", `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      const sha = resolveRev(repo, file[2]);
      if (!sha) return error(404, "RevisionNotFound", `Invalid rev id: ${file[2]}`);
      const body = repo.commits[sha][file[3]];
      if (!body) return error(404, "EntryNotFound", `${file[3]} does not exist on "${file[2]}"`);
      const etag = `"${crypto.createHash("sha256").update(body).digest("hex")}"`;
      const headers: Record<string, string | number> = { "X-Repo-Commit": sha, ETag: etag, "X-Linked-Etag": etag, "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream" };
      const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
      if (range && req.method === "GET") {
        const start = Number(range[1]);
        const part = body.subarray(start);
        return send(206, { ...headers, "Content-Length": part.length, "Content-Range": `bytes ${start}-${body.length - 1}/${body.length}` }, part);
      }
      return send(200, { ...headers, "Content-Length": body.length }, body);
    }
    return error(404, "NotFound", `no route for ${req.method ?? ""} ${p}`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    repos: map,
    requests,
    stop: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A small model repository: config and tokenizer, two safetensors shards, a nested file, and original/* (never downloaded). */
export function generatedFiles(seed: string, shardBytes = 3 << 20): Record<string, Buffer> {
  const rand = (n: number, salt: string) => {
    const out = Buffer.alloc(n);
    let off = 0;
    for (let i = 0; off < n; i++) {
      const block = crypto.createHash("sha256").update(`${seed}/${salt}/${i}`).digest();
      off += block.copy(out, off);
    }
    return out;
  };
  return {
    "config.json": Buffer.from(JSON.stringify({ architectures: ["TestForCausalLM"], seed })),
    "tokenizer.json": Buffer.from(JSON.stringify({ version: "1.0", seed })),
    "model-00001-of-00002.safetensors": rand(shardBytes, "a"),
    "model-00002-of-00002.safetensors": rand(shardBytes + 12345, "b"),
    "model.safetensors.index.json": Buffer.from(JSON.stringify({ weight_map: { a: "model-00001-of-00002.safetensors", b: "model-00002-of-00002.safetensors" } })),
    "nested/generation_config.json": Buffer.from("{}"),
    "original/consolidated.00.pth": rand(1024, "original"),
  };
}
