import { platformSchema, ParsedPlatform } from "./schema";

// When a config has structural errors, the cross-field checks still run over what is left once
// the broken parts are taken out, so one run reports every problem (docs/configuration.md promises that).
// A broken leaf is removed (its default, if any, fills in); a broken entry of a list inside a
// section removes that whole list; a pool or model whose required fields are broken is left out;
// the two fields every check depends on get the most permissive stand-in. The caller then drops
// every cross-field finding about what was taken out or stood in for.

type Segment = string | number;
/** An object of the stack config as written (parsed YAML, not yet validated): walked and repaired here. */
type RawConfigObject = { [key: string]: unknown };

/** Sections that have defaults, so removing them leaves a valid config. */
const DEFAULTED_SECTIONS = new Set(["cluster", "network", "modelsNamespace", "gpuPools", "models", "addons", "gateway", "monitoring", "modelCache", "tenants"]);
/** Stand-ins for required fields with the fewest tier- and cloud-specific checks behind them. */
const STAND_INS: Readonly<Record<string, string>> = { "environment.name": "env", "environment.tier": "dev", "cloud.provider": "existing" };
/** What a stand-in cloud.provider makes meaningless: every cloud-specific finding. */
const CLOUD_SPECIFIC = /^(cloud|cluster|network|modelCache\.store)\b|^gpuPools\[\d+\]\.(instanceType|hardware|nodeImage|zones|subnetIds|reservation|efa|capacityType|nvmeMountPath)\b/;
const ELEMENT_LISTS = ["gpuPools", "models"] as const;

export interface PartialConfig {
  readonly parsed: ParsedPlatform;
  /** Original index of each pool/model left in `parsed`. */
  readonly poolIndex: readonly number[];
  readonly modelIndex: readonly number[];
  /** Names of pools left out, so models naming them are not reported a second time. */
  readonly droppedPoolNames: ReadonlySet<string>;
  /** Whether a cross-field finding (in original indexing) is about a removed or stood-in part. */
  isAboutRepairedPart(path: string): boolean;
}

const isObject = (v: unknown): v is RawConfigObject => typeof v === "object" && v !== null && !Array.isArray(v);

function formatPath(path: readonly Segment[]): string {
  return path.map((s, i) => (typeof s === "number" ? `[${s}]` : `${i === 0 ? "" : "."}${s}`)).join("");
}

function parentOf(root: unknown, path: readonly Segment[]): unknown {
  let node = root;
  for (const segment of path.slice(0, -1)) {
    node = isObject(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[segment] : undefined;
  }
  return node;
}

/** The part to remove for an issue at `path`: a list inside a section goes whole. */
function removalTarget(path: readonly Segment[]): readonly Segment[] {
  const start = ELEMENT_LISTS.includes(path[0] as (typeof ELEMENT_LISTS)[number]) && typeof path[1] === "number" ? 2 : 0;
  const index = path.findIndex((s, i) => i >= start && typeof s === "number");
  return index === -1 ? path : path.slice(0, index);
}

/** The config with its broken parts taken out, or undefined when nothing sensible is left. */
export function partialConfig(raw: unknown): PartialConfig | undefined {
  if (!isObject(raw)) {
    return undefined;
  }
  const candidate = structuredClone(raw);
  const dropped: Record<(typeof ELEMENT_LISTS)[number], Set<number>> = { gpuPools: new Set(), models: new Set() };
  const repaired = new Set<string>();
  const stoodIn = new Set<string>();
  const kept = (list: (typeof ELEMENT_LISTS)[number]) =>
    Array.isArray(candidate[list]) ? (candidate[list] as unknown[]).flatMap((_, i) => (dropped[list].has(i) ? [] : [i])) : [];

  for (let round = 0; round < 12; round++) {
    const poolIndex = kept("gpuPools");
    const modelIndex = kept("models");
    const input = { ...candidate };
    for (const [list, index] of [["gpuPools", poolIndex], ["models", modelIndex]] as const) {
      if (Array.isArray(candidate[list])) {
        input[list] = index.map((i) => (candidate[list] as unknown[])[i]);
      }
    }
    const result = platformSchema.safeParse(input);
    if (result.success) {
      const poolNames = (Array.isArray(raw.gpuPools) ? raw.gpuPools : []) as unknown[];
      const droppedPoolNames = new Set([...dropped.gpuPools].flatMap((i) => (isObject(poolNames[i]) && typeof poolNames[i].name === "string" ? [poolNames[i].name] : [])));
      const repairedPaths = [...repaired];
      return {
        parsed: result.data as ParsedPlatform,
        poolIndex,
        modelIndex,
        droppedPoolNames,
        isAboutRepairedPart: (path) =>
          repairedPaths.some((r) => path === r || path.startsWith(`${r}.`) || path.startsWith(`${r}[`)) ||
          (stoodIn.has("cloud.provider") && CLOUD_SPECIFIC.test(path)),
      };
    }
    let progress = false;
    for (const issue of result.error.issues) {
      // Back to the original indexes of pools and models.
      const path: Segment[] = issue.path.map((s, i) => {
        const list = issue.path[0] === "gpuPools" ? poolIndex : issue.path[0] === "models" ? modelIndex : undefined;
        return i === 1 && list !== undefined && typeof s === "number" ? list[s] : (s as Segment);
      });
      if (issue.code === "unrecognized_keys") {
        const holder = path.length === 0 ? candidate : (parentOf(candidate, [...path, ""]) as unknown);
        if (isObject(holder)) {
          issue.keys.forEach((k) => delete holder[k]);
          progress = true;
        }
        continue;
      }
      const target = removalTarget(path);
      const holder = parentOf(candidate, target);
      const key = target[target.length - 1];
      const formatted = formatPath(target);
      if (target.length > 0 && isObject(holder) && typeof key === "string" && key in holder && !(formatted in STAND_INS)) {
        delete holder[key];
        repaired.add(formatted);
        progress = true;
      } else if (formatted in STAND_INS && isObject(holder) && holder[key as string] !== STAND_INS[formatted]) {
        holder[key as string] = STAND_INS[formatted];
        stoodIn.add(formatted);
        progress = true;
      } else if (ELEMENT_LISTS.includes(path[0] as (typeof ELEMENT_LISTS)[number]) && typeof path[1] === "number") {
        dropped[path[0] as (typeof ELEMENT_LISTS)[number]].add(path[1]);
        progress = true;
      } else if (typeof path[0] === "string" && DEFAULTED_SECTIONS.has(path[0]) && path[0] in candidate) {
        delete candidate[path[0]];
        repaired.add(path[0]);
        progress = true;
      } else if (path.length === 1 && (path[0] === "environment" || path[0] === "cloud")) {
        candidate[path[0]] = {};
        progress = true;
      }
    }
    if (!progress) {
      return undefined;
    }
  }
  return undefined;
}
