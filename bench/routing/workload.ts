// The shared-prefix workload: `groups` conversations, each a long prefix (a system prompt or a
// document) shared by every request of the group, followed by a short suffix of its own.
// Words are three letters and a space: the simulator counts a word as a token, and the EPP's
// approximate prefix producer hashes 4 characters per token, so both see blocks of the same text.

export interface Workload {
  readonly groups: number;
  readonly prefixTokens: number;
  readonly suffixTokens: number;
  readonly outputTokens: number;
  /** Requests in flight at once (closed loop: each client sends its next request when one ends). */
  readonly concurrency: number;
  readonly requests: number;
  readonly seed: number;
}

export interface BenchRequest {
  readonly group: number;
  readonly prompt: string;
}

/** A small deterministic generator (mulberry32): the same seed gives both arms the same requests. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const LETTERS = "abcdefghijklmnopqrstuvwxyz";

function words(count: number, next: () => number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    out.push(LETTERS[Math.floor(next() * 26)] + LETTERS[Math.floor(next() * 26)] + LETTERS[Math.floor(next() * 26)]);
  }
  return out.join(" ");
}

export function validateWorkload(w: Workload): void {
  for (const key of ["groups", "prefixTokens", "suffixTokens", "outputTokens", "concurrency", "requests"] as const) {
    if (!Number.isInteger(w[key]) || w[key] < 1) {
      throw new Error(`workload.${key}: must be a positive integer, got ${String(w[key])}`);
    }
  }
}

/**
 * The request sequence: groups drawn uniformly at random, so every group recurs throughout the
 * run (a group's requests are spread out, not back to back).
 */
export function buildRequests(w: Workload): BenchRequest[] {
  validateWorkload(w);
  const next = rng(w.seed);
  const prefixes = Array.from({ length: w.groups }, (_, g) => `g${String(g).padStart(3, "0")} ${words(w.prefixTokens - 1, next)}`);
  return Array.from({ length: w.requests }, () => {
    const group = Math.floor(next() * w.groups);
    return { group, prompt: `${prefixes[group]} ${words(w.suffixTokens, next)}` };
  });
}

/** KV blocks the workload's shared prefixes occupy in total (the working set). */
export function workingSetBlocks(w: Workload, blockSize: number): number {
  return w.groups * Math.ceil(w.prefixTokens / blockSize);
}
