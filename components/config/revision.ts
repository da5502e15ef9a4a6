// What a model's `source.revision` may be. The snapshot-restore cache keys snapshots by revision,
// so a moving ref (branch or tag) would leave a snapshot that never changes while the ref moves.

/** A full Git commit hash as Hugging Face reports it: 40 lowercase hex digits. */
const COMMIT = /^[0-9a-f]{40}$/;
/**
 * Any revision the platform accepts, cache on or off: one path segment not starting with '.'
 * (restore.sh's check on REVISION), so no revision can name a path outside its model's directory.
 */
export const REVISION_SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/;
const REF = REVISION_SEGMENT;

/** True when `revision` is a full commit hash (pinned), false for a branch, tag or short hash. */
export function isCommitHash(revision: string): boolean {
  return COMMIT.test(revision);
}

/**
 * The problem with a cached model's revision, if any. Outside dev the revision must be a full
 * commit, so every node and every restart serves the same weights. Dev may name a moving ref:
 * the seeder resolves it to a commit and the restores follow it (components/cache).
 */
export function cachedRevisionProblem(revision: string, tier: "dev" | "staging" | "prod"): string | undefined {
  if (isCommitHash(revision)) {
    return undefined;
  }
  if (tier !== "dev") {
    return `"${revision}" is not a full 40-hex commit: with the model cache, ${tier} pins commits so every node serves the same weights (only dev follows a moving branch or tag)`;
  }
  if (!REF.test(revision)) {
    return `"${revision}" is neither a 40-hex commit nor a branch or tag the cache can follow (one path segment of A-Z a-z 0-9 . _ -, not starting with '.')`;
  }
  return undefined;
}
