import { execFileSync } from "child_process";
import * as os from "os";

/** The short commit being measured, or "uncommitted" outside a git checkout. */
export function gitCommit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "uncommitted";
  }
}

/** "2 × <CPU model>" for the results' headers. */
export function cpuDescription(): string {
  return `${os.cpus().length} × ${os.cpus()[0]?.model ?? "unknown CPU"}`;
}
