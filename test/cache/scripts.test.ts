/**
 * The snapshot-restore cache's in-cluster scripts (components/cache/scripts/), run for real under
 * `sh` with rclone against two stores: a local directory (the filesystem store) and moto's S3
 * server on loopback with credential checks on. Every case asserts on files, exit codes and the
 * JSON log lines.
 */
import * as assert from "assert";
import { ChildProcess, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parsePlatformConfig } from "../../components/config";
import { seederJob } from "../../components/cache/workloads";
import { RESTORE_METRICS_DIR } from "../../components/monitoring/restore-metrics";
import { baseConfig } from "../harness/fixtures";
import {
  MANIFEST_NAME,
  MARKER_NAME,
  MotoServer,
  RunResult,
  SCRIPTS,
  Tools,
  cleanEnv,
  ensureTools,
  leftovers,
  rclone,
  runContainer,
  runScript,
  sleep,
  startMoto,
  treeDigest,
  writeRandomFile,
} from "./tools";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- rendered Kubernetes JSON

let tools: Tools = { problems: ["not looked for yet"] };
const MODEL_ID = "org/model";

interface Store {
  kind: "filesystem" | "s3";
  /** Environment the scripts need to reach the store. */
  env: Record<string, string>;
  /** The snapshot path of a model revision in this store. */
  snapshot(name: string): string;
  /** Replaces one object of a snapshot with a local file. */
  put(snapshot: string, rel: string, file: string): void;
  /** Names of the objects directly in a snapshot. */
  list(snapshot: string): string[];
  cat(snapshot: string, rel: string): string;
}

/** A small model: config, tokenizer, three ~1 MiB shards, a nested file and a name with a space. */
function makeModel(dir: string, bigFileBytes = 0): { bytes: number; files: number } {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ architectures: ["LlamaForCausalLM"], hidden_size: 64 }));
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify({ vocab: Array.from({ length: 500 }, (_, i) => `t${i}`) }));
  for (let i = 1; i <= 3; i++) writeRandomFile(path.join(dir, `model-0000${i}-of-00003.safetensors`), (1 << 20) + i * 4099);
  fs.mkdirSync(path.join(dir, "original"), { recursive: true });
  fs.writeFileSync(path.join(dir, "original", "params.json"), '{"dim": 64}\n');
  fs.writeFileSync(path.join(dir, "README with space.md"), "# model\n");
  if (bigFileBytes > 0) writeRandomFile(path.join(dir, "consolidated.pth"), bigFileBytes);
  let bytes = 0;
  let files = 0;
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        bytes += fs.statSync(p).size;
        files++;
      }
    }
  };
  walk(dir);
  return { bytes, files };
}

/** restore.sh's use stamp of a revision: models/.last-used/<id with '/' as %2F>@<revision>. */
function stampPath(root: string, id: string, rev: string): string {
  return path.join(root, "models", ".last-used", `${id.replace(/\//g, "%2F")}@${rev}`);
}

/** Sets a file's mtime (and atime) to `minutes` ago. */
function age(file: string, minutes: number): void {
  const t = new Date(Date.now() - minutes * 60_000);
  fs.utimesSync(file, t, t);
}

function only(r: RunResult, event: string): Record<string, unknown> {
  const lines = r.json.filter((l) => l.event === event);
  assert.strictEqual(lines.length, 1, `expected one "${event}" line, got: ${r.stdout}\nstderr: ${r.stderr}`);
  return lines[0];
}

function lastError(r: RunResult): Record<string, unknown> {
  assert.ok(r.errors.length > 0, `expected a JSON error line on stderr, got: ${r.stderr}`);
  return r.errors[r.errors.length - 1];
}

/** A directory of busybox applet links plus rclone and flock: the tools of the Alpine image. */
function busyboxPath(dir: string): string | undefined {
  if (!tools.busybox || !tools.rclone || !tools.flock) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const applets = spawnSync(tools.busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (const a of applets) fs.symlinkSync(tools.busybox, path.join(dir, a));
  // Debian's busybox is built without the flock applet that Alpine's has; util-linux's stands in.
  for (const [name, target] of [["rclone", tools.rclone], ["flock", tools.flock]]) {
    fs.rmSync(path.join(dir, name), { force: true });
    fs.symlinkSync(target, path.join(dir, name));
  }
  return dir;
}

function storeSuite(kind: Store["kind"]): void {
  describe(`cache scripts against the ${kind} store`, function () {
    this.timeout(30_000);
    let tmp = "";
    let moto: MotoServer | undefined;
    let store: Store;
    let counter = 0;

    before(async function () {
      const missing = tools.problems.filter((p) => kind === "s3" || !p.includes("moto"));
      if (missing.length > 0) {
        if (process.env.CI) {
          // CI installs the tools first (.ci/run); a skip there would hide the whole suite.
          throw new Error(`cache test tools missing in CI: ${missing.join("; ")}`);
        }
        console.warn(`    skipped: ${missing.join("; ")}`);
        this.skip();
      }
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), `llm-platform-cache-${kind}-`));
      if (kind === "s3") {
        moto = await startMoto(tools, path.join(tmp, "moto.log"));
        const env = moto.rcloneEnv();
        rclone(["mkdir", "snap:snapshots"], env);
        store = {
          kind,
          env,
          snapshot: (name) => `snap:snapshots/models/${name}`,
          put: (snapshot, rel, file) => void rclone(["copyto", file, `${snapshot}/${rel}`], env),
          list: (snapshot) => rclone(["lsf", "--files-only", snapshot], env).split("\n").filter(Boolean),
          cat: (snapshot, rel) => rclone(["cat", `${snapshot}/${rel}`], env),
        };
      } else {
        const root = path.join(tmp, "store");
        store = {
          kind,
          env: {},
          snapshot: (name) => path.join(root, "models", name),
          put: (snapshot, rel, file) => fs.copyFileSync(file, path.join(snapshot, rel)),
          list: (snapshot) => (fs.existsSync(snapshot) ? fs.readdirSync(snapshot).filter((n) => fs.statSync(path.join(snapshot, n)).isFile()) : []),
          cat: (snapshot, rel) => fs.readFileSync(path.join(snapshot, rel), "utf8"),
        };
      }
    });

    after(async () => {
      await moto?.stop();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** A fresh source model, seeded into a fresh snapshot. */
    async function seeded(bigFileBytes = 0): Promise<{ name: string; source: string; snapshot: string; bytes: number; files: number; seed: RunResult }> {
      const name = `rev${++counter}`;
      const source = path.join(tmp, "src", name);
      const { bytes, files } = makeModel(source, bigFileBytes);
      const snapshot = store.snapshot(name);
      const seed = await runScript("seed.sh", { SOURCE_DIR: source, SNAPSHOT: snapshot, TRANSFERS: "8", ...store.env });
      assert.strictEqual(seed.code, 0, `seed failed: ${seed.stderr}`);
      return { name, source, snapshot, bytes, files, seed };
    }

    function restoreEnv(cacheRoot: string, revision: string, snapshot: string, extra: Record<string, string> = {}): Record<string, string> {
      return { CACHE_ROOT: cacheRoot, MODEL_ID, REVISION: revision, SNAPSHOT: snapshot, TRANSFERS: "8", ...store.env, ...extra };
    }

    function cacheRoot(): string {
      return path.join(tmp, "cache", `c${++counter}`);
    }

    it("seeds a snapshot with manifest and marker, then restores it byte for byte with one JSON log line", async () => {
      const { name, source, snapshot, bytes, files, seed } = await seeded();
      const seedLine = only(seed, "seed");
      assert.strictEqual(seedLine.result, "seeded");
      assert.strictEqual(seedLine.files, files);
      assert.strictEqual(seedLine.bytes, bytes);
      const objects = store.list(snapshot);
      assert.ok(objects.includes(MARKER_NAME) && objects.includes(MANIFEST_NAME), `store holds ${objects.join(", ")}`);
      // The manifest: "<size>\t<sha256>\t<path>" per file, sorted, without manifest and marker.
      const manifest = store.cat(snapshot, MANIFEST_NAME).trim().split("\n").map((l) => l.split("\t"));
      const expected = Object.entries(treeDigest(source)).map(([rel, sha]) => [String(fs.statSync(path.join(source, rel)).size), sha, rel]);
      assert.deepStrictEqual(manifest, expected);

      const root = cacheRoot();
      const r = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout.trim().split("\n").length, 1, `one line on stdout: ${r.stdout}`);
      const log = only(r, "restore");
      assert.deepStrictEqual(Object.keys(log), ["event", "model", "revision", "result", "bytes", "seconds", "gbps"]);
      assert.strictEqual(log.model, MODEL_ID);
      assert.strictEqual(log.revision, name);
      assert.strictEqual(log.result, "restored");
      assert.strictEqual(log.bytes, bytes);
      assert.ok(typeof log.seconds === "number" && log.seconds > 0, `seconds: ${String(log.seconds)}`);
      assert.ok(typeof log.gbps === "number" && log.gbps > 0, `gbps: ${String(log.gbps)}`);
      assert.ok(Math.abs((log.gbps as number) - bytes / (log.seconds as number) / 1e9) < 0.002, "gbps = bytes / seconds / 1e9");
      assert.strictEqual(r.stderr, "");

      const final = path.join(root, "models", MODEL_ID, name);
      assert.deepStrictEqual(treeDigest(final), treeDigest(source));
      const marker = JSON.parse(fs.readFileSync(path.join(final, MARKER_NAME), "utf8")) as Record<string, unknown>;
      assert.strictEqual(marker.bytes, bytes);
      assert.strictEqual(fs.readFileSync(path.join(final, MANIFEST_NAME), "utf8"), store.cat(snapshot, MANIFEST_NAME));
      assert.deepStrictEqual(leftovers(path.dirname(final)), []);
      assert.ok(fs.existsSync(path.join(root, "models", ".locks", `org--model@${name}.lock`)));
    });

    it("a second restore finds the copy complete and copies nothing (not even contacting the store)", async () => {
      const { name, source, snapshot } = await seeded();
      const root = cacheRoot();
      assert.strictEqual((await runScript("restore.sh", restoreEnv(root, name, snapshot))).code, 0);
      const shard = path.join(root, "models", MODEL_ID, name, "model-00001-of-00003.safetensors");
      const before = fs.statSync(shard);

      const again = await runScript("restore.sh", restoreEnv(root, name, snapshot, { VERIFY_CHECKSUMS: "1" }));
      assert.strictEqual(again.code, 0, again.stderr);
      const log = only(again, "restore");
      assert.strictEqual(log.result, "cached");
      assert.strictEqual(log.bytes, 0);
      const after = fs.statSync(shard);
      assert.strictEqual(after.ino, before.ino);
      assert.strictEqual(after.mtimeMs, before.mtimeMs);

      // A cached revision restores even when the store is unreachable.
      const offline = await runScript("restore.sh", restoreEnv(root, name, `${snapshot}-gone`, { RCLONE_CONFIG_SNAP_ENDPOINT: "http://127.0.0.1:9" }));
      assert.strictEqual(offline.code, 0, offline.stderr);
      assert.strictEqual(only(offline, "restore").result, "cached");
      assert.deepStrictEqual(treeDigest(path.join(root, "models", MODEL_ID, name)), treeDigest(source));
    });

    it("every success touches the revision's use stamp (model id encoded as one segment), a cached restore too", async () => {
      const { name, snapshot } = await seeded();
      const root = cacheRoot();
      const stamp = stampPath(root, MODEL_ID, name);
      assert.strictEqual(path.basename(stamp), `org%2Fmodel@${name}`);
      const t0 = Date.now();
      const r = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stderr, "");
      assert.deepStrictEqual(fs.readdirSync(path.dirname(stamp)), [path.basename(stamp)]);
      const st = fs.statSync(stamp);
      assert.ok(st.isFile() && st.size === 0);
      assert.ok(st.mtimeMs >= t0 - 2000, "stamped at restore time");

      age(stamp, 120);
      const before = Date.now();
      const cached = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(only(cached, "restore").result, "cached");
      assert.strictEqual(cached.stderr, "");
      assert.ok(fs.statSync(stamp).mtimeMs >= before - 2000, "a cached restore refreshes the stamp");

      // A failed restore stamps nothing.
      const failed = await runScript("restore.sh", restoreEnv(root, "other", store.snapshot("never-seeded")));
      assert.strictEqual(failed.code, 10, failed.stderr);
      assert.deepStrictEqual(fs.readdirSync(path.dirname(stamp)), [path.basename(stamp)]);
    });

    it("a restore that copies writes the model's figures for node-exporter's textfile collector; a cached or failed one leaves them", async () => {
      const { name, snapshot, bytes } = await seeded();
      const root = cacheRoot();
      const file = path.join(root, RESTORE_METRICS_DIR, "restore-org%2Fmodel.prom");
      const r = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(r.code, 0, r.stderr);
      const log = only(r, "restore");
      const text = fs.readFileSync(file, "utf8");
      const samples = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
      const labels = `{model="${MODEL_ID}",revision="${name}"}`;
      assert.deepStrictEqual(
        samples.map((l) => l.split(" ")[0]),
        [`llm_cache_restore_bytes${labels}`, `llm_cache_restore_seconds${labels}`, `llm_cache_restore_timestamp_seconds${labels}`],
      );
      const value = (metric: string) => Number(samples.find((l) => l.startsWith(`${metric}{`))?.split(" ")[1]);
      assert.strictEqual(value("llm_cache_restore_bytes"), bytes);
      assert.strictEqual(value("llm_cache_restore_seconds"), log.seconds);
      assert.ok(Math.abs(value("llm_cache_restore_timestamp_seconds") - Date.now() / 1000) < 60, "finished now");
      for (const metric of ["llm_cache_restore_bytes", "llm_cache_restore_seconds", "llm_cache_restore_timestamp_seconds"]) {
        assert.ok(text.includes(`# HELP ${metric} `) && text.includes(`# TYPE ${metric} gauge`), `${metric} has HELP and TYPE`);
      }
      // Only the .prom file: the collector reads *.prom, and no temporary file is left behind.
      assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), [path.basename(file)]);

      const cached = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(only(cached, "restore").result, "cached");
      assert.strictEqual(fs.readFileSync(file, "utf8"), text, "a cached restore copies nothing and keeps the last copy's figures");
      const failed = await runScript("restore.sh", restoreEnv(root, "other", store.snapshot("never-seeded")));
      assert.strictEqual(failed.code, 10, failed.stderr);
      assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), [path.basename(file)]);
    });

    it("restores again when the cached copy no longer matches its manifest", async () => {
      const { name, source, snapshot } = await seeded();
      const root = cacheRoot();
      assert.strictEqual((await runScript("restore.sh", restoreEnv(root, name, snapshot))).code, 0);
      const final = path.join(root, "models", MODEL_ID, name);
      fs.truncateSync(path.join(final, "tokenizer.json"), 10);
      const r = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(only(r, "restore").result, "restored");
      assert.match(String(lastError(r).reason), /tokenizer\.json: size 10/);
      assert.deepStrictEqual(treeDigest(final), treeDigest(source));
      assert.deepStrictEqual(leftovers(path.dirname(final)), []);

      // A directory without the marker is incomplete: it is replaced whole, stray files included.
      fs.rmSync(path.join(final, MARKER_NAME));
      fs.writeFileSync(path.join(final, "stray.bin"), "left by an older copy");
      const again = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(again.code, 0, again.stderr);
      assert.strictEqual(only(again, "restore").result, "restored");
      assert.match(String(lastError(again).reason), /without \.llm-platform-complete/);
      assert.deepStrictEqual(treeDigest(final), treeDigest(source));
      assert.ok(fs.existsSync(path.join(final, MARKER_NAME)));
      assert.deepStrictEqual(leftovers(path.dirname(final)), [], "the set-aside copy is deleted");
    });

    it("seeding an already seeded revision is a no-op", async () => {
      const { source, snapshot } = await seeded();
      const marker = store.cat(snapshot, MARKER_NAME);
      const config = store.cat(snapshot, "config.json");
      fs.writeFileSync(path.join(source, "config.json"), '{"changed": true}');
      const again = await runScript("seed.sh", { SOURCE_DIR: source, SNAPSHOT: snapshot, ...store.env });
      assert.strictEqual(again.code, 0, again.stderr);
      assert.strictEqual(only(again, "seed").result, "already-seeded");
      assert.strictEqual(store.cat(snapshot, MARKER_NAME), marker);
      assert.strictEqual(store.cat(snapshot, "config.json"), config);
    });

    it("a restore killed mid-copy publishes nothing; the rerun completes and leaves no staging behind", async () => {
      const { name, source, snapshot, bytes } = await seeded(6 << 20);
      const root = cacheRoot();
      const modelDir = path.join(root, "models", MODEL_ID);
      const final = path.join(modelDir, name);
      let child: ChildProcess | undefined;
      const killed = runScript("restore.sh", restoreEnv(root, name, snapshot, { RCLONE_BWLIMIT: "1M", TRANSFERS: "2" }), {
        detached: true,
        onSpawn: (c) => (child = c),
      });
      // Wait until rclone has written part of the copy into the staging directory.
      let partial = 0;
      const deadline = Date.now() + 15_000;
      while (partial < 256 << 10) {
        assert.ok(Date.now() < deadline, "rclone never started writing into staging");
        assert.ok(!fs.existsSync(final), "the final directory appeared before the copy finished");
        for (const s of leftovers(modelDir, [".staging-"])) {
          partial = 0;
          const walk = (d: string): void => {
            for (const e of fs.readdirSync(d, { withFileTypes: true })) {
              const p = path.join(d, e.name);
              if (e.isDirectory()) walk(p);
              else if (e.name !== MANIFEST_NAME) partial += fs.statSync(p).size;
            }
          };
          walk(path.join(modelDir, s));
        }
        await sleep(50);
      }
      assert.ok(partial < bytes, "killed before the copy was complete");
      // A killed container takes the script and its rclone down together.
      process.kill(-(child as ChildProcess).pid!, "SIGKILL");
      const r = await killed;
      assert.strictEqual(r.signal, "SIGKILL");
      assert.ok(!fs.existsSync(final), "nothing is published by a killed restore");
      assert.strictEqual(leftovers(modelDir, [".staging-"]).length, 1, "the killed run's staging dir is left behind");

      const rerun = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(rerun.code, 0, rerun.stderr);
      assert.strictEqual(only(rerun, "restore").result, "restored");
      assert.deepStrictEqual(treeDigest(final), treeDigest(source));
      assert.deepStrictEqual(leftovers(modelDir), [], "no staging, work or set-aside dirs are left");
      assert.ok(fs.existsSync(path.join(final, MARKER_NAME)));
    });

    it("a restore stopped with SIGTERM stops its rclone, removes its staging and exits 143", async () => {
      const { name, snapshot } = await seeded(4 << 20);
      const root = cacheRoot();
      const modelDir = path.join(root, "models", MODEL_ID);
      let child: ChildProcess | undefined;
      const stopped = runScript("restore.sh", restoreEnv(root, name, snapshot, { RCLONE_BWLIMIT: "1M" }), { onSpawn: (c) => (child = c) });
      const deadline = Date.now() + 15_000;
      while (leftovers(modelDir, [".staging-"]).length === 0) {
        assert.ok(Date.now() < deadline, "no staging dir appeared");
        await sleep(50);
      }
      const staging = path.join(modelDir, leftovers(modelDir, [".staging-"])[0]);
      await sleep(200);
      child!.kill("SIGTERM");
      const r = await stopped;
      assert.strictEqual(r.code, 143, r.stderr);
      const rclones = fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").includes(staging);
        } catch {
          return false;
        }
      });
      assert.deepStrictEqual(rclones, [], "no rclone is left writing into the staging dir");
      assert.ok(!fs.existsSync(modelDir), "staging and the empty model dir are removed");
    });

    it("a corrupted object (same size, other bytes) fails with VERIFY_CHECKSUMS=1: exit 13, nothing published", async () => {
      const { name, source, snapshot } = await seeded();
      const shard = "model-00002-of-00003.safetensors";
      const bad = path.join(tmp, `bad-${name}`);
      const data = fs.readFileSync(path.join(source, shard));
      data[data.length >> 1] ^= 0xff;
      fs.writeFileSync(bad, data);
      store.put(snapshot, shard, bad);

      const root = cacheRoot();
      const r = await runScript("restore.sh", restoreEnv(root, name, snapshot, { VERIFY_CHECKSUMS: "1" }));
      assert.strictEqual(r.code, 13, r.stderr);
      const err = lastError(r);
      assert.strictEqual(err.event, "restore-error");
      assert.strictEqual(err.code, 13);
      assert.match(String(err.reason), new RegExp(shard.replace(/\./g, "\\.")));
      assert.deepStrictEqual(r.json, [], "no success line");
      const modelDir = path.join(root, "models", MODEL_ID);
      assert.ok(!fs.existsSync(path.join(modelDir, name)), "nothing published");
      assert.deepStrictEqual(leftovers(modelDir), [], "staging removed");
    });

    it("a truncated object fails the size check even without checksums: exit 13 naming the file", async () => {
      const { name, source, snapshot } = await seeded();
      const shard = "model-00003-of-00003.safetensors";
      const bad = path.join(tmp, `short-${name}`);
      fs.writeFileSync(bad, fs.readFileSync(path.join(source, shard)).subarray(0, 1000));
      store.put(snapshot, shard, bad);

      const root = cacheRoot();
      const r = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(r.code, 13, r.stderr);
      assert.match(String(lastError(r).reason), /model-00003-of-00003\.safetensors: size 1000, manifest says \d+/);
      const modelDir = path.join(root, "models", MODEL_ID);
      assert.ok(!fs.existsSync(path.join(modelDir, name)));
      assert.deepStrictEqual(leftovers(modelDir), []);
    });

    it("two restores of the same revision at once: one restores, the other waits and finds it cached", async () => {
      const { name, source, snapshot } = await seeded();
      const root = cacheRoot();
      const env = restoreEnv(root, name, snapshot, { RCLONE_BWLIMIT: "8M" });
      const [a, b] = await Promise.all([runScript("restore.sh", env), runScript("restore.sh", env)]);
      assert.strictEqual(a.code, 0, a.stderr);
      assert.strictEqual(b.code, 0, b.stderr);
      assert.deepStrictEqual([only(a, "restore").result, only(b, "restore").result].sort(), ["cached", "restored"]);
      const final = path.join(root, "models", MODEL_ID, name);
      assert.deepStrictEqual(treeDigest(final), treeDigest(source));
      assert.deepStrictEqual(leftovers(path.dirname(final)), []);
    });

    it("refuses to start without room for the model plus headroom: exit 12 with needed and available bytes", async function () {
      const { name, snapshot, bytes } = await seeded();
      // A real small filesystem when we may mount one (root); else the test-only override.
      const small = path.join(tmp, `small-${name}`);
      fs.mkdirSync(small, { recursive: true });
      const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", small]).status === 0;
      try {
        const r = await runScript("restore.sh", restoreEnv(small, name, snapshot, mounted ? {} : { FREE_BYTES_OVERRIDE: String(2 << 20) }));
        assert.strictEqual(r.code, 12, r.stderr);
        const err = lastError(r);
        assert.strictEqual(err.code, 12);
        assert.strictEqual(err.needed, Math.ceil(bytes * 1.05));
        assert.ok(typeof err.available === "number" && err.available < (err.needed as number) && err.available > 0);
        assert.match(String(err.reason), new RegExp(`need ${String(err.needed)} bytes .* ${String(err.available)} available`));
        assert.deepStrictEqual(leftovers(path.join(small, "models", MODEL_ID)), [], "nothing staged");
        assert.ok(!fs.existsSync(path.join(small, "models", MODEL_ID, name)));
      } finally {
        if (mounted) spawnSync("umount", [small]);
      }
      if (!mounted) console.warn("    (tmpfs could not be mounted: used FREE_BYTES_OVERRIDE)");

      // The headroom counts: 3% spare space is not enough at the default 5%, enough at 2%.
      const root = cacheRoot();
      const tight = String(Math.ceil(bytes * 1.03));
      const refused = await runScript("restore.sh", restoreEnv(root, name, snapshot, { FREE_BYTES_OVERRIDE: tight }));
      assert.strictEqual(refused.code, 12, refused.stderr);
      const ok = await runScript("restore.sh", restoreEnv(root, name, snapshot, { FREE_BYTES_OVERRIDE: tight, MIN_FREE_HEADROOM_PCT: "2" }));
      assert.strictEqual(ok.code, 0, ok.stderr);
    });

    it("a snapshot that is missing or only half seeded is reported missing: exit 10", async () => {
      const root = cacheRoot();
      const missing = await runScript("restore.sh", restoreEnv(root, "never", store.snapshot("never-seeded")));
      assert.strictEqual(missing.code, 10, missing.stderr);
      assert.match(String(lastError(missing).reason), /never-seeded/);
      assert.deepStrictEqual(fs.readdirSync(path.join(root, "models")), [".locks"], "a failed first restore leaves no model dir");

      // Files and manifest uploaded, marker not yet: a seeding still running, or one that died.
      const { name, snapshot } = await seeded();
      const half = store.snapshot(`${name}-half`);
      if (kind === "s3") rclone(["copy", "--exclude", `/${MARKER_NAME}`, snapshot, half], store.env);
      else fs.cpSync(snapshot, half, { recursive: true, filter: (p) => path.basename(p) !== MARKER_NAME });
      const r = await runScript("restore.sh", restoreEnv(root, name, half));
      assert.strictEqual(r.code, 10, r.stderr);
      assert.match(String(lastError(r).reason), /not seeded/);
      assert.ok(!fs.existsSync(path.join(root, "models", MODEL_ID, name)));

      if (kind === "s3") {
        const noBucket = await runScript("restore.sh", restoreEnv(root, name, "snap:no-such-bucket/models/x"));
        assert.strictEqual(noBucket.code, 10, noBucket.stderr);
      }
    });

    it("seed.sh checks for the marker before it needs a source: CHECK_ONLY reports, a seeded snapshot needs no SOURCE_DIR", async () => {
      const name = `chk${++counter}`;
      const snapshot = store.snapshot(name);
      const flag = path.join(tmp, `${name}.seeded`);
      // Not seeded: the listing of a missing prefix is empty (exit 0 on S3), so no flag.
      const before = await runScript("seed.sh", { SNAPSHOT: snapshot, CHECK_ONLY: "1", SEEDED_FLAG: flag, ...store.env });
      assert.strictEqual(before.code, 0, before.stderr);
      assert.strictEqual(only(before, "seed").result, "not-seeded");
      assert.ok(!fs.existsSync(flag), "an unseeded snapshot raises no flag");
      assert.deepStrictEqual(store.list(snapshot), [], "CHECK_ONLY writes nothing to the store");

      const source = path.join(tmp, "src", name);
      makeModel(source);
      assert.strictEqual((await runScript("seed.sh", { SOURCE_DIR: source, SNAPSHOT: snapshot, ...store.env })).code, 0);
      const after = await runScript("seed.sh", { SNAPSHOT: snapshot, CHECK_ONLY: "1", SEEDED_FLAG: flag, ...store.env });
      assert.strictEqual(only(after, "seed").result, "already-seeded");
      assert.ok(fs.existsSync(flag), "a seeded snapshot raises the flag");
      // The seeder's last container on a seeded snapshot: no download happened, no source exists.
      const noSource = await runScript("seed.sh", { SOURCE_DIR: path.join(tmp, "never-downloaded"), SNAPSHOT: snapshot, ...store.env });
      assert.strictEqual(noSource.code, 0, noSource.stderr);
      assert.strictEqual(only(noSource, "seed").result, "already-seeded");
      // Unseeded with no source is still a usage error, now naming the missing directory.
      const missing = await runScript("seed.sh", { SOURCE_DIR: path.join(tmp, "never-downloaded"), SNAPSHOT: store.snapshot(`${name}-other`), ...store.env });
      assert.strictEqual(missing.code, 2, missing.stderr);
      assert.match(String(lastError(missing).reason), /SOURCE_DIR .*never-downloaded is not a directory/);
    });

    it("restores exactly the manifest's files: an object the manifest does not list fails with exit 13 and nothing is published", async () => {
      const { name, snapshot } = await seeded();
      const extra = path.join(tmp, "extra.bin");
      fs.writeFileSync(extra, "not in the manifest");
      store.put(snapshot, "extra.bin", extra);
      const root = cacheRoot();
      const r = await runScript("restore.sh", restoreEnv(root, name, snapshot));
      assert.strictEqual(r.code, 13, r.stderr);
      assert.match(String(lastError(r).reason), /extra\.bin is in the snapshot but not in its manifest/);
      assert.ok(!fs.existsSync(path.join(root, "models", MODEL_ID, name)), "nothing published");
      assert.deepStrictEqual(leftovers(path.join(root, "models", MODEL_ID)), []);
    });

    it("a cached copy is checked by marker and sizes only, even with VERIFY_CHECKSUMS=1: a restart hashes nothing", async () => {
      const { name, snapshot } = await seeded();
      const root = cacheRoot();
      const first = await runScript("restore.sh", restoreEnv(root, name, snapshot, { VERIFY_CHECKSUMS: "1" }));
      assert.strictEqual(only(first, "restore").result, "restored", first.stderr);
      // Same size, other bytes: only a checksum would notice, and a cached check computes none.
      const shard = path.join(root, "models", MODEL_ID, name, "model-00002-of-00003.safetensors");
      const fd = fs.openSync(shard, "r+");
      fs.writeSync(fd, Buffer.from("changed"), 0, 7, 0);
      fs.closeSync(fd);
      const again = await runScript("restore.sh", restoreEnv(root, name, snapshot, { VERIFY_CHECKSUMS: "1" }));
      assert.strictEqual(again.code, 0, again.stderr);
      assert.strictEqual(only(again, "restore").result, "cached");
      assert.strictEqual(again.stderr, "");
    });

    it("a moving ref: the seeder points refs/<ref> at the commit it seeded, restores follow the pointer through a link, prune keeps the linked commit", async () => {
      const base = `refm${++counter}`;
      const [commitA, commitB] = ["a".repeat(40), "b".repeat(40)];
      const refSnapshot = store.snapshot(`${base}/main`);
      const seedRef = async (commit: string) => {
        const source = path.join(tmp, "src", `${base}-${commit[0]}`);
        makeModel(source);
        const commitFile = path.join(tmp, `${base}-${commit[0]}.commit`);
        fs.writeFileSync(commitFile, `${commit}\n`);
        const r = await runScript("seed.sh", { SOURCE_DIR: source, SNAPSHOT: refSnapshot, RESOLVED_COMMIT_FILE: commitFile, ...store.env });
        assert.strictEqual(r.code, 0, r.stderr);
        const line = only(r, "seed");
        assert.strictEqual(line.ref, "main");
        assert.strictEqual(line.snapshot, store.snapshot(`${base}/${commit}`));
        assert.strictEqual(store.cat(store.snapshot(base), "refs/main"), `${commit}\n`);
        return source;
      };
      const srcA = await seedRef(commitA);

      const root = cacheRoot();
      const modelDir = path.join(root, "models", MODEL_ID);
      // kubelet's DirectoryOrCreate makes the ref's path a directory before the restore runs.
      fs.mkdirSync(path.join(modelDir, "main"), { recursive: true });
      const env = restoreEnv(root, "main", refSnapshot, { MOVING_REF: "1" });
      const r = await runScript("restore.sh", env);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.deepStrictEqual({ ...only(r, "restore"), seconds: 0, gbps: 0, bytes: 0 }, { event: "restore", model: MODEL_ID, revision: commitA, ref: "main", result: "restored", bytes: 0, seconds: 0, gbps: 0 });
      assert.strictEqual(fs.readlinkSync(path.join(modelDir, "main")), commitA);
      assert.deepStrictEqual(treeDigest(path.join(modelDir, "main")), treeDigest(srcA));
      assert.strictEqual(only(await runScript("restore.sh", env), "restore").result, "cached");

      // The ref moves: the next restore copies the new commit and moves the link.
      const srcB = await seedRef(commitB);
      const moved = await runScript("restore.sh", env);
      assert.strictEqual(only(moved, "restore").revision, commitB, moved.stderr);
      assert.strictEqual(fs.readlinkSync(path.join(modelDir, "main")), commitB);
      assert.deepStrictEqual(treeDigest(path.join(modelDir, "main")), treeDigest(srcB));
      assert.deepStrictEqual(fs.readdirSync(modelDir).filter((n) => n.startsWith(".")), [], "no temporary link or set-aside directory left");

      // The configured ref keeps the commit it links to; the commit it left is pruned.
      const prune = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: `${MODEL_ID}@main` });
      assert.strictEqual(prune.code, 0, prune.stderr);
      assert.deepStrictEqual(prune.json.filter((l) => l.event === "prune").map((l) => `${String(l.kind)} ${String(l.revision)}`), [`revision ${commitA}`]);
      assert.deepStrictEqual(fs.readdirSync(modelDir).sort(), [commitB, "main"]);

      // Without the pointer (store unreachable), the commit the link holds is served, with a warning.
      const offline = await runScript("restore.sh", { ...env, SNAPSHOT: store.snapshot(`${base}-gone/main`) });
      assert.strictEqual(offline.code, 0, offline.stderr);
      assert.deepStrictEqual([only(offline, "restore").result, only(offline, "restore").revision], ["cached", commitB]);
      assert.match(String(lastError(offline).reason), /cannot read the ref pointer .*using the cached commit b{40}/);
      // A node that never held the ref cannot guess: exit 10.
      const fresh = await runScript("restore.sh", restoreEnv(cacheRoot(), "main", store.snapshot(`${base}-gone/main`), { MOVING_REF: "1" }));
      assert.strictEqual(fresh.code, 10, fresh.stderr);
      assert.match(String(lastError(fresh).reason), /ref main of org\/model is not resolved/);

      // Unconfigured, the ref's commit goes after the grace period and its dangling link with it.
      const gone = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: "" });
      assert.deepStrictEqual(gone.json.filter((l) => l.event === "prune").map((l) => `${String(l.kind)} ${String(l.revision)}`).sort(), [`ref main`, `revision ${commitB}`]);
      assert.ok(!fs.existsSync(modelDir));
    });

    it("prewarm.sh restores what the list names, picks up a model added to the list, prunes one removed", async () => {
      const snapshotRoot = store.snapshot(`pw${++counter}`);
      const revs = { "org/a": "1".repeat(40), "org/b": "2".repeat(40) } as const;
      const sources: Record<string, string> = {};
      for (const [id, rev] of Object.entries(revs)) {
        sources[id] = path.join(tmp, "src", `pw${counter}-${id.replace("/", "-")}`);
        makeModel(sources[id]);
        const r = await runScript("seed.sh", { SOURCE_DIR: sources[id], SNAPSHOT: `${snapshotRoot}/${id}/${rev}`, ...store.env });
        assert.strictEqual(r.code, 0, r.stderr);
      }
      const root = cacheRoot();
      const list = path.join(tmp, `pw${counter}.models`);
      const env = { CACHE_ROOT: root, MODELS_FILE: list, SNAPSHOT_ROOT: snapshotRoot, ONCE: "1", IN_USE_GRACE_MINUTES: "0", TRANSFERS: "4", ...store.env };
      const results = (r: RunResult) => r.json.filter((l) => l.event === "restore").map((l) => `${String(l.model)} ${String(l.result)}`);

      fs.writeFileSync(list, `# pool l4\norg/a\t${revs["org/a"]}\tcommit\n`);
      const one = await runScript("prewarm.sh", env);
      assert.strictEqual(one.code, 0, one.stderr);
      assert.deepStrictEqual(results(one), ["org/a restored"]);
      assert.deepStrictEqual(one.json[one.json.length - 1], { event: "prune-summary", kept: 1, removed: 0, skipped: 0 });

      fs.appendFileSync(list, `org/b\t${revs["org/b"]}\tcommit\n`);
      const two = await runScript("prewarm.sh", env);
      assert.strictEqual(two.code, 0, two.stderr);
      assert.deepStrictEqual(results(two), ["org/a cached", "org/b restored"]);
      for (const [id, rev] of Object.entries(revs)) assert.deepStrictEqual(treeDigest(path.join(root, "models", id, rev)), treeDigest(sources[id]));

      fs.writeFileSync(list, `org/b\t${revs["org/b"]}\tcommit\n`);
      const removed = await runScript("prewarm.sh", env);
      assert.strictEqual(removed.code, 0, removed.stderr);
      assert.deepStrictEqual(removed.json.filter((l) => l.event === "prune").map((l) => `${String(l.model)}@${String(l.revision)}`), [`org/a@${revs["org/a"]}`]);
      assert.ok(fs.existsSync(path.join(root, "models", "org/b", revs["org/b"], MARKER_NAME)));

      // A list it cannot read prunes nothing; a bad line is reported and the rest still restored.
      const unreadable = await runScript("prewarm.sh", { ...env, MODELS_FILE: `${list}-missing` });
      assert.strictEqual(unreadable.code, 1);
      assert.match(String(lastError(unreadable).reason), /cannot read MODELS_FILE .*nothing restored or pruned/);
      assert.ok(fs.existsSync(path.join(root, "models", "org/b", revs["org/b"], MARKER_NAME)));
      fs.writeFileSync(list, `org/b\t${revs["org/b"]}\tcommit\norg/c\tx\tbranch\n`);
      const bad = await runScript("prewarm.sh", env);
      assert.strictEqual(bad.code, 1);
      assert.match(String(lastError(bad).reason), /org\/c@x has kind 'branch', not commit or ref/);
      assert.deepStrictEqual(results(bad), ["org/b cached"]);
    });

    if (kind === "s3") {
      it("wrong credentials: restore and seed exit 11 with a clear message", async () => {
        const { name, source, snapshot } = await seeded();
        const root = cacheRoot();
        for (const creds of [
          { accessKeyId: moto!.accessKeyId, secretAccessKey: "not-the-secret" },
          { accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "whatever" },
        ]) {
          const r = await runScript("restore.sh", restoreEnv(root, name, snapshot, moto!.rcloneEnv(creds)));
          assert.strictEqual(r.code, 11, r.stderr);
          const err = lastError(r);
          assert.strictEqual(err.code, 11);
          assert.match(String(err.reason), /refused access.*credentials/);
          assert.match(String(err.reason), /SignatureDoesNotMatch|InvalidAccessKeyId/);
        }
        const seed = await runScript("seed.sh", { SOURCE_DIR: source, SNAPSHOT: store.snapshot("other"), ...moto!.rcloneEnv({ accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x" }) });
        assert.strictEqual(seed.code, 11, seed.stderr);
        // A moving ref's pointer read with wrong credentials: 11 as well, not "not resolved".
        const ref = await runScript("restore.sh", restoreEnv(cacheRoot(), "main", store.snapshot("refd/main"), { MOVING_REF: "1", ...moto!.rcloneEnv({ accessKeyId: moto!.accessKeyId, secretAccessKey: "not-the-secret" }) }));
        assert.strictEqual(ref.code, 11, ref.stderr);
        assert.match(String(lastError(ref).reason), /refused access while reading the ref pointer/);
        assert.ok(!fs.existsSync(path.join(root, "models", MODEL_ID, name)));
      });

      it("a seeder allowed to write objects but not to create buckets seeds: no CreateBucket before the manifest and marker", async () => {
        const name = `nocreate${++counter}`;
        const source = path.join(tmp, "src", name);
        const { files } = makeModel(source);
        const snapshot = store.snapshot(name);
        // Only the remote's own settings, as in the cluster's env but without NO_CHECK_BUCKET.
        const r = await runScript("seed.sh", { SOURCE_DIR: source, SNAPSHOT: snapshot, TRANSFERS: "4", ...moto!.rcloneEnv(moto!.seeder) });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(only(r, "seed").files, files);
        const objects = store.list(snapshot);
        assert.ok(objects.includes(MANIFEST_NAME) && objects.includes(MARKER_NAME), `store holds ${objects.join(", ")}`);
        // The role really is refused CreateBucket: the check rclone skips would have failed.
        const create = spawnSync("rclone", ["mkdir", "snap:another-bucket"], { env: cleanEnv(moto!.rcloneEnv(moto!.seeder)), encoding: "utf8" });
        assert.notStrictEqual(create.status, 0);
        assert.match(create.stderr, /AccessDenied/);
      });

      it("the seeder Job's containers, run in order as rendered: a missing snapshot is downloaded and seeded, a seeded one is not downloaded again", async () => {
        const raw = baseConfig();
        raw.modelCache = { mode: "nvme", store: { provider: "s3", bucket: "snapshots", region: "us-east-1" } };
        raw.models[1].source.revision = "c".repeat(40);
        const model = parsePlatformConfig(raw).models[1];
        const settings = { store: { provider: "s3" as const, bucket: "snapshots", region: "us-east-1" }, verifyChecksums: false, transfers: 4, pruneGraceHours: 24, scriptsConfigMap: "scripts" };
        const options = { namespace: "m", serviceAccount: "seeder", labels: {}, scratchBytes: 1e9 };

        // A fake `hf` that copies a prepared model into --local-dir and records the call.
        const bin = path.join(tmp, `bin${++counter}`);
        const fixture = path.join(tmp, "src", `hub${counter}`);
        const calls = path.join(tmp, `hub${counter}.calls`);
        makeModel(fixture);
        fs.mkdirSync(bin);
        fs.writeFileSync(
          path.join(bin, "hf"),
          `#!/bin/sh\nprintf '%s\\n' "$*" >>"${calls}"\nwhile [ $# -gt 0 ]; do [ "$1" = --local-dir ] && dir=$2; shift; done\nmkdir -p "$dir" && cp -R "${fixture}/." "$dir/"\n`,
          { mode: 0o755 },
        );
        // A stand-in huggingface_hub for the ref resolver's Python, answering with a fixed commit.
        const py = path.join(tmp, `py${counter}`);
        fs.mkdirSync(py);
        fs.writeFileSync(path.join(py, "huggingface_hub.py"), `class HfApi:\n    def model_info(self, repo, revision=None):\n        return type("I", (), {"sha": "d" * 40})()\n`);

        const runPod = (pod: Json): { calls: string[]; results: string[] } => {
          const work = fs.mkdtempSync(path.join(tmp, "work-"));
          fs.rmSync(calls, { force: true });
          const results: string[] = [];
          for (const c of [...pod.initContainers, ...pod.containers]) {
            const r = runContainer(c, { "/work": work, "/scripts": SCRIPTS }, { ...moto!.rcloneEnv(moto!.seeder), PYTHONPATH: py }, bin);
            assert.strictEqual(r.code, 0, `${String(c.name)}: ${r.stderr}`);
            const line = r.stdout.split("\n").find((l) => l.startsWith('{"event":"seed"'));
            if (line) results.push(`${String(c.name)} ${String((JSON.parse(line) as Json).result)}`);
          }
          return { calls: fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").trim().split("\n") : [], results };
        };

        const pod = (seederJob(model, settings, options) as Json).spec.template.spec;
        const first = runPod(pod);
        assert.strictEqual(first.calls.length, 1, first.calls.join("\n"));
        assert.match(first.calls[0], /^download Qwen\/Qwen3-8B --revision c{40} --local-dir \S+\/src /);
        assert.deepStrictEqual(first.results, ["check-seeded not-seeded", "seed seeded"]);
        const snapshot = `snap:snapshots/models/Qwen/Qwen3-8B/${"c".repeat(40)}`;
        assert.ok(store.list(snapshot).includes(MARKER_NAME));
        const second = runPod(pod);
        assert.deepStrictEqual(second.calls, [], "a seeded snapshot is not downloaded again");
        assert.deepStrictEqual(second.results, ["check-seeded already-seeded", "seed already-seeded"]);

        // dev on a moving ref: the resolved commit is downloaded, seeded and the ref pointed at it.
        const dev = baseConfig();
        dev.modelCache = raw.modelCache;
        dev.models[1].source.revision = "main";
        const refModel = parsePlatformConfig(dev).models[1];
        const refPod = (seederJob(refModel, settings, options) as Json).spec.template.spec;
        const refRun = runPod(refPod);
        assert.strictEqual(refRun.calls.length, 1, refRun.calls.join("\n"));
        assert.match(refRun.calls[0], /^download Qwen\/Qwen3-8B --revision d{40} /);
        assert.deepStrictEqual(refRun.results, ["check-seeded not-seeded", "seed seeded"]);
        assert.strictEqual(store.cat("snap:snapshots/models/Qwen/Qwen3-8B", "refs/main"), `${"d".repeat(40)}\n`);
        assert.ok(store.list(`snap:snapshots/models/Qwen/Qwen3-8B/${"d".repeat(40)}`).includes(MARKER_NAME));
      });
    }

    for (const shell of ["busybox", "bash"] as const) {
      it(`runs under ${shell === "busybox" ? "busybox ash with busybox applets only (plus rclone and flock)" : "bash"}`, async function () {
        let env: Record<string, string> = { ...store.env };
        let sh = "bash";
        if (shell === "busybox") {
          const bin = busyboxPath(path.join(tmp, `busybox-${++counter}`));
          if (!bin) this.skip();
          env = { ...env, PATH: bin! };
          sh = path.join(bin!, "sh");
        }
        const name = `${shell}${++counter}`;
        const source = path.join(tmp, "src", name);
        makeModel(source);
        const snapshot = store.snapshot(name);
        const seed = await runScript("seed.sh", { ...env, SOURCE_DIR: source, SNAPSHOT: snapshot }, { shell: sh });
        assert.strictEqual(seed.code, 0, seed.stderr);
        const root = cacheRoot();
        const restoreVars = { ...env, CACHE_ROOT: root, MODEL_ID, REVISION: name, SNAPSHOT: snapshot, VERIFY_CHECKSUMS: "1" };
        const r = await runScript("restore.sh", restoreVars, { shell: sh });
        assert.strictEqual(r.code, 0, r.stderr);
        assert.strictEqual(only(r, "restore").result, "restored");
        assert.deepStrictEqual(treeDigest(path.join(root, "models", MODEL_ID, name)), treeDigest(source));
        const again = await runScript("restore.sh", restoreVars, { shell: sh });
        assert.strictEqual(only(again, "restore").result, "cached");
        const missing = await runScript("restore.sh", { ...restoreVars, REVISION: "x", SNAPSHOT: `${snapshot}-missing` }, { shell: sh });
        assert.strictEqual(missing.code, 10, missing.stderr);
        const stamp = stampPath(root, MODEL_ID, name);
        assert.ok(fs.existsSync(stamp), "use stamp written");
        // find -mmin under this shell's tools: a 30-minute-old stamp is within 60 minutes, not 20.
        age(stamp, 30);
        const graced = await runScript("prune.sh", { ...env, CACHE_ROOT: root, CONFIGURED: "", IN_USE_GRACE_MINUTES: "60" }, { shell: sh });
        assert.strictEqual(graced.code, 0, graced.stderr);
        assert.deepStrictEqual(graced.json, [{ event: "prune-summary", kept: 1, removed: 0, skipped: 0 }]);
        const prune = await runScript("prune.sh", { ...env, CACHE_ROOT: root, CONFIGURED: "", IN_USE_GRACE_MINUTES: "20" }, { shell: sh });
        assert.strictEqual(prune.code, 0, prune.stderr);
        assert.ok(!fs.existsSync(path.join(root, "models", MODEL_ID)));
        assert.ok(!fs.existsSync(stamp), "the removed revision's stamp goes with it");
      });
    }
  });
}

describe("snapshot-restore cache scripts", function () {
  before(function () {
    // Installs rclone / moto on first use (install-tools.sh): pip may take a minute.
    this.timeout(600_000);
    tools = ensureTools();
  });

  storeSuite("filesystem");
  storeSuite("s3");
  pruneSuite();
  commonSuite();
  settingsSuite();
});

function pruneSuite(): void {
  describe("prune.sh", function () {
    this.timeout(30_000);
    let tmp = "";
    let snapshot = "";
    let holder: ChildProcess | undefined;

    before(async function () {
      const missing = tools.problems.filter((p) => !p.includes("moto"));
      if (missing.length > 0) {
        if (process.env.CI) {
          // CI installs the tools first (.ci/run); a skip there would hide the whole suite.
          throw new Error(`cache test tools missing in CI: ${missing.join("; ")}`);
        }
        console.warn(`    skipped: ${missing.join("; ")}`);
        this.skip();
      }
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-prune-"));
      const source = path.join(tmp, "src");
      fs.mkdirSync(source);
      fs.writeFileSync(path.join(source, "config.json"), "{}");
      writeRandomFile(path.join(source, "model.safetensors"), 64 << 10);
      snapshot = path.join(tmp, "store", "m");
      const seed = await runScript("seed.sh", { SOURCE_DIR: source, SNAPSHOT: snapshot });
      assert.strictEqual(seed.code, 0, seed.stderr);
    });

    /** Ends flock and its sleep (which holds the lock too) together. */
    function releaseLock(): void {
      if (holder?.pid && holder.exitCode === null && holder.signalCode === null) process.kill(-holder.pid, "SIGKILL");
    }

    after(() => {
      releaseLock();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    async function restore(root: string, id: string, rev: string): Promise<void> {
      const r = await runScript("restore.sh", { CACHE_ROOT: root, MODEL_ID: id, REVISION: rev, SNAPSHOT: snapshot });
      assert.strictEqual(r.code, 0, r.stderr);
    }

    it("removes only revisions neither configured nor in use, skips locked ones, and removes empty model dirs", async () => {
      const root = path.join(tmp, "cache");
      const models = path.join(root, "models");
      for (const [id, rev] of [["org/a", "r1"], ["org/a", "r2"], ["org/a", "r3"], ["org/b", "r1"], ["c", "r1"], ["c", "r2"]]) await restore(root, id, rev);
      // A killed restore's leftover.
      fs.mkdirSync(path.join(models, "org/a/.staging-r9-12345"));
      fs.writeFileSync(path.join(models, "org/a/.staging-r9-12345/part"), "x");
      // c@r2 is being restored right now: its lock is held.
      const lock = path.join(models, ".locks", "c@r2.lock");
      holder = spawn("flock", ["-x", lock, "sleep", "60"], { stdio: "ignore", detached: true });
      const deadline = Date.now() + 5000;
      while (spawnSync("flock", ["-n", lock, "true"]).status === 0) {
        assert.ok(Date.now() < deadline, "the lock holder did not take the lock");
        await sleep(20);
      }

      const r = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: "org/a@r1 c@r1", IN_USE: "org/a@r2" });
      releaseLock();
      assert.strictEqual(r.code, 0, r.stderr);
      const removed = r.json.filter((l) => l.event === "prune").map((l) => `${String(l.kind)} ${String(l.model)}@${String(l.revision)}`).sort();
      assert.deepStrictEqual(removed, ["leftover org/a@r9", "revision org/a@r3", "revision org/b@r1"]);
      for (const l of r.json.filter((l) => l.event === "prune")) assert.ok((l.bytes as number) > 0);
      const skipped = r.json.filter((l) => l.event === "prune-skip");
      assert.deepStrictEqual(skipped.map((l) => `${String(l.model)}@${String(l.revision)} ${String(l.reason)}`), ["c@r2 busy"]);
      assert.deepStrictEqual(r.json[r.json.length - 1], { event: "prune-summary", kept: 3, removed: 3, skipped: 1 });

      assert.ok(fs.existsSync(path.join(models, "org/a/r1", MARKER_NAME)), "configured revision kept");
      assert.ok(fs.existsSync(path.join(models, "org/a/r2", MARKER_NAME)), "in-use revision kept");
      assert.ok(fs.existsSync(path.join(models, "c/r1", MARKER_NAME)));
      assert.ok(fs.existsSync(path.join(models, "c/r2", MARKER_NAME)), "locked revision not touched");
      assert.ok(!fs.existsSync(path.join(models, "org/a/r3")));
      assert.ok(!fs.existsSync(path.join(models, "org/b")), "empty model dir removed");
      assert.ok(fs.existsSync(path.join(models, "org")), "parent with other models kept");
      assert.deepStrictEqual(leftovers(path.join(models, "org/a")), []);
      assert.ok(fs.existsSync(path.join(models, ".locks")), "lock files stay");
      // Stamps go with their revisions; without IN_USE_GRACE_MINUTES they keep nothing.
      assert.deepStrictEqual(fs.readdirSync(path.join(models, ".last-used")).sort(), ["c@r1", "c@r2", "org%2Fa@r1", "org%2Fa@r2"]);

      // Run again with nothing configured or in use: everything goes, models/ stays.
      const all = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: "" });
      assert.strictEqual(all.code, 0, all.stderr);
      assert.strictEqual(all.json.filter((l) => l.event === "prune").length, 4);
      assert.deepStrictEqual(fs.readdirSync(models).sort(), [".last-used", ".locks"]);
      assert.deepStrictEqual(fs.readdirSync(path.join(models, ".last-used")), []);
    });

    it("IN_USE_GRACE_MINUTES keeps unconfigured revisions whose use stamp is recent; stale stamps are removed", async () => {
      const root = path.join(tmp, "cache-grace");
      const models = path.join(root, "models");
      for (const [id, rev] of [["m", "r1"], ["m", "r2"], ["m", "r3"], ["org/x", "r1"], ["org/x", "r2"]]) await restore(root, id, rev);
      age(stampPath(root, "m", "r2"), 20); // within the 30-minute grace
      age(stampPath(root, "org/x", "r2"), 45); // older
      fs.rmSync(stampPath(root, "m", "r3")); // never stamped (restored before stamps existed)
      // Stamps whose revision is gone: a whole model, and one revision of a model that remains.
      for (const [id, rev] of [["org/gone", "r1"], ["org/x", "r9"]]) fs.writeFileSync(stampPath(root, id, rev), "");
      // Not a name restore.sh writes: left alone.
      fs.writeFileSync(path.join(models, ".last-used", "notes.txt"), "");

      const r = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: "org/x@r1", IN_USE_GRACE_MINUTES: "30" });
      assert.strictEqual(r.code, 0, r.stderr);
      const removed = r.json.filter((l) => l.event === "prune").map((l) => `${String(l.kind)} ${String(l.model)}@${String(l.revision)}`).sort();
      assert.deepStrictEqual(removed, ["revision m@r3", "revision org/x@r2", "stamp org/gone@r1", "stamp org/x@r9"]);
      const stampLine = r.json.find((l) => l.kind === "stamp" && l.model === "org/gone");
      assert.deepStrictEqual(stampLine, { event: "prune", model: "org/gone", revision: "r1", path: stampPath(root, "org/gone", "r1"), kind: "stamp", bytes: 0 });
      assert.deepStrictEqual(r.json[r.json.length - 1], { event: "prune-summary", kept: 3, removed: 4, skipped: 0 });
      for (const rev of ["r1", "r2"]) assert.ok(fs.existsSync(path.join(models, "m", rev, MARKER_NAME)), `m@${rev} kept by its fresh stamp`);
      assert.ok(fs.existsSync(path.join(models, "org/x/r1", MARKER_NAME)));
      assert.ok(!fs.existsSync(path.join(models, "org/x/r2")));
      assert.ok(!fs.existsSync(path.join(models, "m/r3")));
      assert.deepStrictEqual(fs.readdirSync(path.join(models, ".last-used")).sort(), ["m@r1", "m@r2", "notes.txt", "org%2Fx@r1"]);

      // Grace 0 (the default) ignores stamps: the unconfigured revisions go, fresh stamps or not.
      const off = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: "org/x@r1", IN_USE_GRACE_MINUTES: "0" });
      assert.strictEqual(off.code, 0, off.stderr);
      assert.deepStrictEqual(off.json.filter((l) => l.event === "prune").map((l) => `${String(l.model)}@${String(l.revision)}`).sort(), ["m@r1", "m@r2"]);
      assert.ok(!fs.existsSync(path.join(models, "m")));
      assert.deepStrictEqual(fs.readdirSync(path.join(models, ".last-used")).sort(), ["notes.txt", "org%2Fx@r1"]);
    });

    it("refuses to run without CONFIGURED, so an unset variable never empties the cache", async () => {
      const root = path.join(tmp, "cache2");
      await restore(root, "m", "r1");
      const r = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: undefined });
      assert.strictEqual(r.code, 2);
      assert.match(String(lastError(r).reason), /CONFIGURED is not set/);
      for (const grace of ["-5", "1.5", "2h", "1234567890"]) {
        const bad = await runScript("prune.sh", { CACHE_ROOT: root, CONFIGURED: "", IN_USE_GRACE_MINUTES: grace });
        assert.strictEqual(bad.code, 2, `${grace}: ${bad.stderr}`);
        assert.match(String(lastError(bad).reason), /IN_USE_GRACE_MINUTES must be a whole number/);
      }
      assert.ok(fs.existsSync(path.join(root, "models", "m", "r1", MARKER_NAME)));
    });

    it("restore.sh rejects model ids and revisions that would escape the cache directory", async () => {
      for (const [id, rev] of [["../x", "r1"], ["org/.hidden", "r1"], ["org/m", "../../etc"], ["/abs", "r1"], ["org/m", ".staging-r1-1"]]) {
        const r = await runScript("restore.sh", { CACHE_ROOT: path.join(tmp, "cache3"), MODEL_ID: id, REVISION: rev, SNAPSHOT: snapshot });
        assert.strictEqual(r.code, 2, `${id}@${rev}: ${r.stderr}`);
      }
      assert.ok(!fs.existsSync(path.join(tmp, "cache3")));
    });
  });
}

/**
 * restore.sh, seed.sh and prune.sh source common.sh from their own directory, wherever they are
 * run from: here through a ConfigMap-like mount (files as symlinks into ..data/), by a relative
 * path from another directory, under sh and busybox ash. Without common.sh beside them they still
 * fail with their own JSON error line, exit 1.
 */
function commonSuite(): void {
  describe("common.sh", function () {
    const scripts = { "restore.sh": "restore-error", "seed.sh": "seed-error", "prune.sh": "prune-error" } as const;
    let tmp = "";

    before(() => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-common-"));
    });

    after(() => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    /** Runs argv in cwd with none of the scripts' required variables set. */
    function run(argv: string[], cwd: string): RunResult {
      const env = cleanEnv({ CACHE_ROOT: undefined, SOURCE_DIR: undefined, SNAPSHOT: undefined });
      const r = spawnSync(argv[0], argv.slice(1), { cwd, env, encoding: "utf8" });
      const errors = r.stderr.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>);
      return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, json: [], errors, ms: 0 };
    }

    for (const shell of ["sh", "busybox"] as const) {
      it(`is found beside the script through a symlinked mount, run by a relative path from elsewhere, under ${shell}`, function () {
        if (shell === "busybox" && !tools.busybox) this.skip();
        const cwd = path.join(tmp, `mount-${shell}`);
        const data = path.join(cwd, "scripts", "..2024_01_01");
        fs.mkdirSync(data, { recursive: true });
        fs.symlinkSync("..2024_01_01", path.join(cwd, "scripts", "..data"));
        for (const f of [...Object.keys(scripts), "common.sh"]) {
          fs.copyFileSync(path.join(SCRIPTS, f), path.join(data, f));
          fs.symlinkSync(path.join("..data", f), path.join(cwd, "scripts", f));
        }
        const sh = shell === "busybox" ? [tools.busybox!, "sh"] : ["sh"];
        for (const [script, event] of Object.entries(scripts)) {
          // The usage error about the unset variables is printed through common.sh's json_str.
          const r = run([...sh, path.join("scripts", script)], cwd);
          assert.strictEqual(r.code, 2, `${script}: ${r.stderr}`);
          assert.strictEqual(r.errors.length, 1, `${script}: ${r.stderr}`);
          assert.strictEqual(r.errors[0].event, event);
          assert.match(String(r.errors[0].reason), /is not set/);
        }
      });
    }

    it("a script without common.sh beside it fails with its own JSON error line and exit 1", () => {
      const dir = path.join(tmp, "alone");
      fs.mkdirSync(dir);
      for (const [script, event] of Object.entries(scripts)) {
        fs.copyFileSync(path.join(SCRIPTS, script), path.join(dir, script));
        const r = run(["sh", path.join(dir, script)], tmp);
        assert.strictEqual(r.code, 1, `${script}: ${r.stderr}`);
        assert.deepStrictEqual(r.errors, [{ event, code: 1, reason: `common.sh is missing beside ${script}` }]);
      }
    });
  });
}

/** Usage errors of the settings the seeder Job, moving refs and the pre-warm loop add. */
function settingsSuite(): void {
  describe("seed.sh, restore.sh and prewarm.sh refuse bad settings", function () {
    this.timeout(30_000);
    let tmp = "";

    before(function () {
      if (tools.problems.some((p) => !p.includes("moto"))) this.skip();
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-platform-settings-"));
    });

    after(() => {
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("seed.sh: CHECK_ONLY, and a RESOLVED_COMMIT_FILE that is missing, not a commit, or a ref that is not one path segment", async () => {
      const snapshot = path.join(tmp, "store", "models", "m", "main");
      const commitFile = (content: string) => {
        const f = path.join(tmp, `commit-${content.length}-${content.slice(0, 4)}`);
        fs.writeFileSync(f, content);
        return f;
      };
      const cases: [Record<string, string>, RegExp][] = [
        [{ CHECK_ONLY: "yes" }, /CHECK_ONLY must be 0 or 1/],
        [{ RESOLVED_COMMIT_FILE: path.join(tmp, "absent") }, /cannot read RESOLVED_COMMIT_FILE/],
        [{ RESOLVED_COMMIT_FILE: commitFile("main\n") }, /must hold a 40-hex commit, not 'main'/],
        [{ RESOLVED_COMMIT_FILE: commitFile(`${"a".repeat(39)}\n`) }, /must hold a 40-hex commit/],
        [{ RESOLVED_COMMIT_FILE: commitFile(`${"a".repeat(40)}\n`), SNAPSHOT: path.join(tmp, "store", "models", "m", ".hidden") }, /the ref '\.hidden' \(SNAPSHOT's last segment\)/],
      ];
      for (const [env, reason] of cases) {
        const r = await runScript("seed.sh", { SNAPSHOT: snapshot, SOURCE_DIR: tmp, ...env });
        assert.strictEqual(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`);
        assert.match(String(r.errors[r.errors.length - 1].reason), reason);
      }
      assert.ok(!fs.existsSync(path.join(tmp, "store")), "nothing written");
    });

    it("restore.sh: MOVING_REF must be 0 or 1, and a ref pointer that holds no commit is not followed", async () => {
      const root = path.join(tmp, "cache");
      const bad = await runScript("restore.sh", { CACHE_ROOT: root, MODEL_ID: "m", REVISION: "main", SNAPSHOT: path.join(tmp, "s", "m", "main"), MOVING_REF: "true" });
      assert.strictEqual(bad.code, 2, bad.stderr);
      assert.match(String(bad.errors[0].reason), /MOVING_REF must be 0 or 1/);
      fs.mkdirSync(path.join(tmp, "s", "m", "refs"), { recursive: true });
      fs.writeFileSync(path.join(tmp, "s", "m", "refs", "main"), "../../etc\n");
      const pointer = await runScript("restore.sh", { CACHE_ROOT: root, MODEL_ID: "m", REVISION: "main", SNAPSHOT: path.join(tmp, "s", "m", "main"), MOVING_REF: "1" });
      assert.strictEqual(pointer.code, 10, pointer.stderr);
      assert.match(String(pointer.errors[0].reason), /ref main of m is not resolved in the store: .*it holds '\.\.\/\.\.\/etc', not a 40-hex commit/);
      assert.ok(!fs.existsSync(path.join(root, "models", "m")));
    });

    it("prewarm.sh: its required variables and its intervals", async () => {
      const base = { CACHE_ROOT: path.join(tmp, "pw"), MODELS_FILE: path.join(tmp, "list"), SNAPSHOT_ROOT: path.join(tmp, "s") };
      const cases: [Record<string, string | undefined>, RegExp][] = [
        [{ MODELS_FILE: undefined }, /MODELS_FILE is not set/],
        [{ SNAPSHOT_ROOT: undefined }, /SNAPSHOT_ROOT is not set/],
        [{ INTERVAL_SECONDS: "0" }, /INTERVAL_SECONDS must be a positive integer/],
        [{ PRUNE_INTERVAL_SECONDS: "15m" }, /PRUNE_INTERVAL_SECONDS must be a positive integer/],
        [{ ONCE: "yes" }, /ONCE must be 0 or 1/],
      ];
      for (const [env, reason] of cases) {
        const r = await runScript("prewarm.sh", { ...base, ...env });
        assert.strictEqual(r.code, 2, `${JSON.stringify(env)}: ${r.stderr}`);
        assert.deepStrictEqual(r.errors.map((e) => e.event), ["prewarm-error"]);
        assert.match(String(r.errors[0].reason), reason);
      }
    });
  });
}
