import * as fs from "fs";
import * as path from "path";
import { PackConfig, PolicyConfigError } from "./evaluate";

/** Where the per-tier pack configs live. */
export const POLICY_CONFIG_DIR = path.resolve(__dirname, "..", "..", "policies", "config");

/** Reads `policies/config/<tier>.json` (or an explicit file). */
export function loadPackConfig(tierOrFile: string): { file: string; config: PackConfig } {
  const file = tierOrFile.endsWith(".json") ? tierOrFile : path.join(POLICY_CONFIG_DIR, `${tierOrFile}.json`);
  if (!fs.existsSync(file)) {
    throw new PolicyConfigError(`no policy pack config ${file}`);
  }
  try {
    return { file, config: JSON.parse(fs.readFileSync(file, "utf8")) as PackConfig };
  } catch (err) {
    throw new PolicyConfigError(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}
