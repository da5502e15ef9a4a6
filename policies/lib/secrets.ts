// Credentials written as literals: recognised by their format, or by the name they are stored under.
import { Json } from "./kubernetes";

const TOKEN_FORMATS: [string, RegExp][] = [
  ["Hugging Face token", /\bhf_[A-Za-z0-9]{30,}\b/],
  ["AWS access key", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["GitHub token", /\b(ghp|gho|ghs|ghu|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{40,}/],
  ["OpenAI-style API key", /\bsk-(proj-)?[A-Za-z0-9_-]{32,}/],
  ["Google API key", /\bAIza[0-9A-Za-z_-]{35}\b/],
  ["Slack token", /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ["private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
];

/** Names under which a value is a credential (env names, ConfigMap keys, Helm value keys, flags). */
export const SECRET_NAME = /^(hf_?token|hugging_?face(_hub)?_?token|token|auth_?token|bearer_?token|access_?token|api_?key|[a-z0-9]+_api_?key|password|passwd|secret_?key|secret_?access_?key|client_?secret|aws_secret_access_key)$/i;
const SECRET_ENV = /(^|_)(TOKEN|API_KEY|APIKEY|PASSWORD|PASSWD|SECRET|SECRET_KEY|SECRET_ACCESS_KEY|CLIENT_SECRET)$/i;

/** What kind of credential a text holds, by its format. */
export function tokenIn(text: string): string | undefined {
  return TOKEN_FORMATS.find(([, re]) => re.test(text))?.[0];
}

/** A literal that is a value, not an empty placeholder or a `$(VAR)`/`${VAR}` reference. */
export function isLiteral(value: unknown): value is string {
  return typeof value === "string" && value.trim() !== "" && !/^\$[({][A-Za-z0-9_]+[)}]$/.test(value.trim()) && !/^\[secret/.test(value);
}

/** Why an env var holds a literal credential, or undefined. */
export function literalSecretEnv(env: Json): string | undefined {
  const value = env?.value;
  if (!isLiteral(value)) {
    return undefined;
  }
  const byFormat = tokenIn(value);
  if (byFormat) {
    return `holds a ${byFormat} as a literal`;
  }
  return SECRET_ENV.test(String(env?.name)) ? `is named like a credential and holds a literal value` : undefined;
}

/** Why a container's command line carries a credential, or undefined. */
export function secretInArgs(args: unknown[]): string | undefined {
  const words = args.map(String);
  for (let i = 0; i < words.length; i++) {
    const byFormat = tokenIn(words[i]);
    if (byFormat) {
      return `argument ${i} holds a ${byFormat}`;
    }
    const flag = /^--?([A-Za-z0-9_-]+)(?:=(.*))?$/.exec(words[i]);
    if (flag && /(^|[-_])(token|api[-_]?key|password|secret)$/i.test(flag[1])) {
      const value = flag[2] ?? words[i + 1];
      if (isLiteral(value) && !value.startsWith("-") && !value.startsWith("/")) {
        return `flag --${flag[1]} is given a literal value`;
      }
    }
  }
  return undefined;
}

/** Paths inside a value (Helm values, ConfigMap data) that hold credentials. */
export function secretsInValue(value: Json, path = "", found: string[] = []): string[] {
  if (typeof value === "string") {
    const byFormat = tokenIn(value);
    if (byFormat) {
      found.push(`${path || "(value)"} (${byFormat})`);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => secretsInValue(v, `${path}[${i}]`, found));
  } else if (value && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${k}` : k;
      if (SECRET_NAME.test(k) && isLiteral(v) && !tokenIn(v)) {
        found.push(`${at} (a literal under a credential's name)`);
      } else {
        secretsInValue(v, at, found);
      }
    }
  }
  return found;
}
