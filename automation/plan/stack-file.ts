import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import type { ConfigIssue } from "../../components/config";
import { plainTextSecretIssues } from "../../components/secret-config";

/** A stack's config as the program would see it, with secrets that plan cannot decrypt replaced. */
export interface StackConfig {
  readonly stack: string;
  readonly file: string;
  /** Fully qualified keys (`llm-platform:platform`) to JSON-encodable values. */
  readonly values: Record<string, unknown>;
  /** Keys whose values are secrets (encrypted in the file, shown as placeholders by plan). */
  readonly secretKeys: string[];
  /** Config problems the file itself shows: credentials stored in plain text. */
  readonly issues: ConfigIssue[];
}

export class StackFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StackFileError";
  }
}

/** The placeholder an encrypted value takes in the offline plan. */
export function secretPlaceholder(key: string): string {
  return `[secret ${key}: encrypted in the stack file, not decrypted offline]`;
}

export function stackFilePath(stacksDir: string, stack: string): string {
  return path.join(stacksDir, `Pulumi.${stack}.yaml`);
}

/** Reads `stacks/Pulumi.<stack>.yaml` the way the Pulumi CLI would hand it to the program. */
export function loadStackConfig(stacksDir: string, stack: string, project = "llm-platform"): StackConfig {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) {
    throw new StackFileError(`stack name "${stack}" may only hold letters, digits, '-', '_' and '.'`);
  }
  const file = stackFilePath(stacksDir, stack);
  if (!fs.existsSync(file)) {
    const known = fs.existsSync(stacksDir)
      ? fs.readdirSync(stacksDir).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? [])
      : [];
    throw new StackFileError(`no stack file ${file} (stacks: ${known.join(", ") || "none"})`);
  }
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new StackFileError(`${file} is not valid YAML: ${(err as Error).message}`);
  }
  const config = (doc as { config?: unknown } | null)?.config ?? {};
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new StackFileError(`${file}: "config" must be a map of keys to values`);
  }
  const values: Record<string, unknown> = {};
  const secretKeys: string[] = [];
  for (const [rawKey, value] of Object.entries(config as Record<string, unknown>)) {
    // Unqualified keys belong to the project, as the Pulumi CLI treats them.
    const key = rawKey.includes(":") ? rawKey : `${project}:${rawKey}`;
    if (isSecure(value)) {
      values[key] = secretPlaceholder(key);
      secretKeys.push(key);
    } else {
      values[key] = value;
    }
  }
  // A credential in plain text is refused before the program runs, so it never reaches a plan file.
  const issues = plainTextSecretIssues((key) => key in values, (key) => secretKeys.includes(key), `in ${file}`);
  return { stack, file, values, secretKeys, issues };
}

function isSecure(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.keys(value).length === 1 && "secure" in value;
}

/** Config values in the string form the Pulumi runtime stores them (objects as JSON). */
export function encodeConfig(values: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
}

export function runtimeConfig(config: StackConfig): Record<string, string> {
  return encodeConfig(config.values);
}
