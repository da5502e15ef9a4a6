import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

// Kubernetes objects and Helm values in components/ are typed (kubernetes-models for core kinds,
// generated CRD and chart-values types, interfaces citing their chart). This test fails on the
// loose shapes they used to be built as, so a new builder cannot slip back to them.

const REPO = path.resolve(__dirname, "..");
const COMPONENTS = path.join(REPO, "components");
/** Generated from upstream schemas; what they leave open is the upstream's choice. */
const GENERATED = path.join(COMPONENTS, "generated");

/** Loose shapes no builder may use. */
export const FORBIDDEN: readonly { readonly pattern: RegExp; readonly what: string }[] = [
  { pattern: /Record<\s*string\s*,\s*(unknown|any)\s*>/, what: "Record<string, unknown|any>" },
  { pattern: /\bobject\s*\[\s*\]|Array<\s*object\s*>/, what: "object[]" },
];

/** An open map (`[key: string]: unknown`) outside a named type is a loose object by another spelling. */
const OPEN_MAP = /\[\s*\w+\s*:\s*string\s*\]\s*:\s*(unknown|any)\b/;

/**
 * Data that is not a Kubernetes object or Helm values and stays open, each under a name that says
 * what it is: the one place an open map may be declared. `line` is matched exactly.
 */
export const NAMED_OPEN_TYPES: readonly { readonly file: string; readonly line: string; readonly reason: string }[] = [
  {
    file: "components/config/partial.ts",
    line: "type RawConfigObject = { [key: string]: unknown };",
    reason: "the stack config as written, walked to take out broken parts before validation",
  },
  {
    file: "components/serving/epp-config.ts",
    line: "export type EppPluginParameters = { readonly [parameter: string]: unknown };",
    reason: "an EPP plugin's parameters, which each plugin decodes into its own Go struct",
  },
  {
    file: "components/serving/router-objects.ts",
    line: "    v = (v as { readonly [key: string]: unknown })[key];",
    reason: "reads recorded router values defensively, one key at a time, after checking it holds an object",
  },
];

/** Lines outside the builders that read back JSON the platform wrote earlier. */
export const LOOSE_READERS: readonly { readonly file: string; readonly line: string; readonly reason: string }[] = [
  {
    file: "components/cost/diff.ts",
    line: "const isObject = (v: unknown): v is Record<string, unknown> => typeof v === \"object\" && v !== null;",
    reason: "checks an earlier plan's summary.json (read from disk) before trusting its cost figures",
  },
  {
    file: "components/cost/diff.ts",
    line: "    SCALES.every((at) => isTotal((value.monthly as Record<string, unknown>)[at]));",
    reason: "the same check of an earlier summary.json's monthly totals",
  },
];

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) {
      return full === GENERATED ? [] : sourceFiles(full);
    }
    return e.name.endsWith(".ts") ? [full] : [];
  });
}

export interface LooseHit {
  readonly file: string;
  readonly line: number;
  readonly text: string;
  readonly what: string;
}

/** Every loose shape in the given files (repository-relative paths) that no list above accounts for. */
export function looseHits(files: readonly { file: string; text: string }[]): LooseHit[] {
  const hits: LooseHit[] = [];
  for (const { file, text } of files) {
    text.split("\n").forEach((line, i) => {
      const accounted = (list: readonly { file: string; line: string }[]) => list.some((e) => e.file === file && e.line === line);
      for (const { pattern, what } of FORBIDDEN) {
        if (pattern.test(line) && !accounted(LOOSE_READERS)) {
          hits.push({ file, line: i + 1, text: line.trim(), what });
        }
      }
      if (OPEN_MAP.test(line) && !accounted(NAMED_OPEN_TYPES)) {
        hits.push({ file, line: i + 1, text: line.trim(), what: "an open map outside a named type" });
      }
    });
  }
  return hits;
}

describe("no loose shapes for Kubernetes objects or Helm values in components/", () => {
  it("finds no Record<string, unknown>, object[] or unnamed open map", () => {
    const files = sourceFiles(COMPONENTS).map((f) => ({ file: path.relative(REPO, f).split(path.sep).join("/"), text: fs.readFileSync(f, "utf8") }));
    assert.ok(files.length > 50, `only ${files.length} files under components/`);
    const hits = looseHits(files);
    assert.deepStrictEqual(
      hits.map((h) => `${h.file}:${h.line}: ${h.what}: ${h.text}`),
      [],
      "type these as their Kubernetes kind (kubernetes-models, components/generated) or chart values; data that is neither gets a named type listed in this test",
    );
  });

  it("flags each loose spelling, and a listed line only in its own file", () => {
    const hits = looseHits([
      { file: "components/x.ts", text: "const a: Record<string, unknown> = {};\nconst b: object[] = [];\nconst c: Array<object> = [];\nconst d: Record<string,any> = {};\ntype E = { [k: string]: unknown };" },
      { file: "components/y.ts", text: "type RawConfigObject = { [key: string]: unknown };" },
      { file: "components/config/partial.ts", text: "type RawConfigObject = { [key: string]: unknown };\nconst s: Record<string, string> = {};\nconst o: object = {};" },
    ]);
    assert.deepStrictEqual(
      hits.map((h) => `${h.file}:${h.line} ${h.what}`),
      [
        "components/x.ts:1 Record<string, unknown|any>",
        "components/x.ts:2 object[]",
        "components/x.ts:3 object[]",
        "components/x.ts:4 Record<string, unknown|any>",
        "components/x.ts:5 an open map outside a named type",
        "components/y.ts:1 an open map outside a named type",
      ],
    );
  });

  it("every listed line still exists, so the lists cannot outlive what they excuse", () => {
    const stale = [...NAMED_OPEN_TYPES, ...LOOSE_READERS].filter((e) => {
      const file = path.join(REPO, e.file);
      return !fs.existsSync(file) || !fs.readFileSync(file, "utf8").split("\n").includes(e.line);
    });
    assert.deepStrictEqual(stale.map((e) => `${e.file}: ${e.line.trim()}`), []);
  });
});
