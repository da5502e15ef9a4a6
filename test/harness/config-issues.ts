import * as assert from "assert";
import { ConfigIssue, validatePlatformConfig } from "../../components/config";

/** Every issue validation reports for `raw`; fails the test when the config is accepted. */
export function issuesOf(raw: unknown): ConfigIssue[] {
  const result = validatePlatformConfig(raw);
  assert.ok(!result.ok, "expected the config to be rejected");
  return result.issues;
}

/** Asserts exactly one issue at `path`, whose message matches `pattern`. */
export function expectIssue(raw: unknown, path: string, pattern: RegExp): void {
  const issues = issuesOf(raw);
  const at = issues.filter((i) => i.path === path);
  assert.strictEqual(at.length, 1, `expected one issue at ${path}, got: ${JSON.stringify(issues, null, 1)}`);
  assert.match(at[0].message, pattern);
}
