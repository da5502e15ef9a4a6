/**
 * The weight-path tier's tools: built and cached by install-tools.sh, and the "images" the
 * rendered containers run in — a directory per image holding only the programs that image ships
 * (its PATH), copied out of the cache into a world-readable place, because the seeder's
 * containers run as uid 1000 and root's home is closed to them.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { images, imageRef } from "../../../components/versions";

export const REPO = path.resolve(__dirname, "..", "..", "..");
export const INSTALL = path.join(__dirname, "..", "install-tools.sh");

export function cacheDir(): string {
  const home = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return process.env.LLM_PLATFORM_WEIGHT_PATH_CACHE || path.join(home, "llm-platform", "weight-path");
}

export function motoVenv(): string {
  const home = process.env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return process.env.MOTO_VENV || path.join(home, "llm-platform", "moto-venv");
}

export interface Tools {
  rclone: string;
  simulator: string;
  fakeGcs: string;
  hfVenv: string;
  moto: string;
  motoPython: string;
  busybox: string;
  flock: string;
  setpriv: string;
  /** install-tools.sh's output (cold or warm) and how long it took. */
  install: { ms: number; output: string };
}

function which(cmd: string): string | undefined {
  const r = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

let tools: Tools | undefined;

/** Runs install-tools.sh (a warm run compares stamps only) and finds every tool; throws naming what is missing. */
export function ensureTools(): Tools {
  if (tools) return tools;
  const started = Date.now();
  const r = spawnSync("sh", [INSTALL], { encoding: "utf8", timeout: 45 * 60_000 });
  const output = `${r.stdout}${r.stderr}`;
  if (r.status !== 0) throw new Error(`install-tools.sh failed (${r.status ?? r.signal}):\n${output.split("\n").slice(-15).join("\n")}`);
  const bin = path.join(cacheDir(), "bin");
  const found = {
    rclone: path.join(bin, "rclone"),
    simulator: path.join(bin, "llm-d-inference-sim"),
    fakeGcs: path.join(bin, "fake-gcs-server"),
    hfVenv: path.join(cacheDir(), "hf-venv"),
    moto: path.join(motoVenv(), "bin", "moto_server"),
    motoPython: path.join(motoVenv(), "bin", "python"),
    busybox: which("busybox") ?? "",
    flock: which("flock") ?? "",
    setpriv: which("setpriv") ?? "",
  };
  const missing = Object.entries(found).filter(([, p]) => !p || !fs.existsSync(p));
  if (missing.length > 0) throw new Error(`weight-path tools missing after install-tools.sh: ${missing.map(([k, p]) => `${k} (${p || "not on PATH"})`).join(", ")}`);
  tools = { ...found, install: { ms: Date.now() - started, output } };
  return tools;
}

/** A container image as a local directory of programs, plus the environment the image sets. */
export interface Image {
  ref: string;
  /** The only directory on the container's PATH. */
  bin: string;
  env: Record<string, string>;
  /** The user the image runs as when the pod names none. */
  uid: number;
}

function linkOrWrap(dir: string, name: string, target: string): void {
  fs.symlinkSync(target, path.join(dir, name));
}

function script(dir: string, name: string, body: string): void {
  fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

/**
 * Lays out the images the cache's workloads use under root (a world-readable directory):
 * - docker.io/rclone/rclone:1.68.2 (by digest) — Alpine: busybox applets as sh and the tools, rclone v1.68.2
 *   built from the module proxy, flock (a busybox applet in Alpine; Debian's busybox lacks it, so
 *   util-linux's stands in); ENV XDG_CONFIG_HOME=/config as its Dockerfile sets.
 * - docker.io/vllm/vllm-openai-cpu:v0.19.1 — Ubuntu: dash as sh, coreutils, python3 with
 *   huggingface_hub and its `hf` CLI.
 */
export function layoutImages(t: Tools, root: string): Record<string, Image> {
  fs.mkdirSync(root, { recursive: true, mode: 0o755 });
  fs.chmodSync(root, 0o755);
  // rclone image
  const rcloneBin = path.join(root, "rclone-1.68.2", "bin");
  fs.mkdirSync(rcloneBin, { recursive: true, mode: 0o755 });
  const bb = path.join(root, "rclone-1.68.2", "busybox");
  fs.copyFileSync(t.busybox, bb);
  fs.chmodSync(bb, 0o755);
  const applets = spawnSync(t.busybox, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter((a) => a && a !== "busybox");
  for (const a of applets) linkOrWrap(rcloneBin, a, bb);
  fs.copyFileSync(t.rclone, path.join(rcloneBin, "rclone"));
  fs.chmodSync(path.join(rcloneBin, "rclone"), 0o755);
  linkOrWrap(rcloneBin, "flock", t.flock);
  // vllm-openai-cpu image: the venv's packages, run by the system python3.
  const vllmRoot = path.join(root, "vllm-openai-cpu-v0.19.1");
  const vllmBin = path.join(vllmRoot, "bin");
  fs.mkdirSync(vllmBin, { recursive: true, mode: 0o755 });
  const site = fs.readdirSync(path.join(t.hfVenv, "lib")).map((py) => path.join(t.hfVenv, "lib", py, "site-packages"))[0];
  const pkgs = path.join(vllmRoot, "site-packages");
  fs.cpSync(site, pkgs, { recursive: true });
  spawnSync("chmod", ["-R", "a+rX", root]);
  const python = fs.existsSync("/usr/bin/python3") ? "/usr/bin/python3" : (which("python3") as string);
  script(vllmBin, "python3", `PYTHONPATH=${pkgs} exec ${python} "$@"`);
  script(vllmBin, "hf", `PYTHONPATH=${pkgs} exec ${python} -c 'import sys; from huggingface_hub.cli.hf import main; sys.argv[0] = "hf"; sys.exit(main())' "$@"`);
  linkOrWrap(vllmBin, "sh", "/bin/dash");
  for (const tool of ["cat", "echo", "ls", "mkdir", "rm", "cp", "mv", "env", "test", "["]) {
    const p = which(tool);
    if (p && p.startsWith("/")) linkOrWrap(vllmBin, tool, p);
  }
  return {
    // Keyed by the reference pods name: the rclone pin carries its digest (components/versions.ts).
    [imageRef(images.rclone)]: { ref: imageRef(images.rclone), bin: rcloneBin, env: { XDG_CONFIG_HOME: "/config" }, uid: 0 },
    "docker.io/vllm/vllm-openai-cpu:v0.19.1": { ref: "docker.io/vllm/vllm-openai-cpu:v0.19.1", bin: vllmBin, env: {}, uid: 0 },
  };
}
