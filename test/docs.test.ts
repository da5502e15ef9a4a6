import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as graphDoc from "../automation/docs/architecture-graph";
import { configReference, END, REFERENCE_PAGE, START, withReference } from "../automation/docs/config-reference";
import { brokenLinks, headingAnchors, headingSlug, linkTargets, readFromDisk } from "../automation/docs/links";

const root = path.resolve(__dirname, "..");
const readmeFile = path.join(root, "README.md");
const readme = fs.readFileSync(readmeFile, "utf8");
const docsDir = path.join(root, "docs");
const pages = fs
  .readdirSync(docsDir)
  .filter((f) => f.endsWith(".md"))
  .sort();

describe("README", () => {
  it("opens with the two fresh-machine commands", () => {
    const firstScreen = readme.split("\n").slice(0, 40).join("\n");
    assert.ok(firstScreen.includes("npm ci && npm run plan -- local"), "plan command");
    assert.ok(firstScreen.includes("npm ci && npm test"), "test command");
  });

  it("is one screen: at most 60 lines", () => {
    const lines = readme.replace(/\n$/, "").split("\n").length;
    assert.ok(lines <= 60, `README.md has ${lines} lines; move the detail into a docs/ page`);
  });

  it("links every docs/ page", () => {
    const linked = new Set(linkTargets(readme).map((t) => t.split("#")[0]));
    assert.ok(pages.length > 0, "docs/ holds no pages");
    assert.deepStrictEqual(
      pages.filter((p) => !linked.has(`docs/${p}`)),
      [],
      "docs pages the README does not link",
    );
  });
});

describe("docs/ pages", () => {
  it("carry the config reference generated from the schema (run `npm run docs:config` after a schema change)", () => {
    const page = fs.readFileSync(path.join(root, REFERENCE_PAGE), "utf8");
    assert.strictEqual(withReference(page), page);
  });

  it("document every config field", () => {
    const reference = configReference();
    for (const field of ["environment.tier", "gpuPools[].instanceType", "models[].tensorParallel", "models[].gpuMemoryUtilization", "modelCache.pruneGraceHours"]) {
      assert.ok(reference.includes(`| \`${field}\` |`), field);
    }
  });

  it("draw the graph plan writes for the local stack on the architecture page (run `npm run docs:graph` after a change to what the program registers)", async () => {
    const page = fs.readFileSync(path.join(root, graphDoc.GRAPH_PAGE), "utf8");
    const graph = await graphDoc.planGraph(path.join(root, "stacks"), graphDoc.GRAPH_STACK);
    assert.match(graph, /^flowchart TD\n {2}r0\(\["llm-platform:index:LlmPlatform<br\/>local"\]\)\n/);
    assert.strictEqual(graphDoc.withGraph(page, graph), page);
  });

  it("have every relative link in the README and docs/ reach a file, and a heading when it names one", () => {
    const files = [readmeFile, ...pages.map((p) => path.join(docsDir, p))];
    const problems = files.flatMap((f) => brokenLinks(f, fs.readFileSync(f, "utf8"), readFromDisk).map((p) => `${path.relative(root, f)}: ${p}`));
    assert.deepStrictEqual(problems, []);
  });
});

describe("config reference generator", () => {
  it("replaces only what lies between the markers", () => {
    const page = `# Title\n\nintro\n\n${START}\nstale\n${END}\n\nafter\n`;
    const next = withReference(page);
    assert.ok(next.startsWith("# Title\n\nintro\n\n"));
    assert.ok(next.endsWith(`${END}\n\nafter\n`));
    assert.ok(next.includes("| `models[].name` |"));
    assert.ok(!next.includes("stale"));
  });

  it("refuses a page without its markers, naming the page", () => {
    assert.throws(() => withReference("# no markers\n"), /docs\/config-reference\.md has no config-reference markers/);
    assert.throws(() => withReference(`${END}\n${START}\n`), /has no config-reference markers/);
  });
});

describe("architecture graph generator", () => {
  it("puts the graph in a mermaid block between the markers, keeping the rest of the page", () => {
    const page = `# Architecture\n\n${graphDoc.START}\nold\n${graphDoc.END}\n\nReading it.\n`;
    assert.strictEqual(
      graphDoc.withGraph(page, "flowchart TD\n  r0 -.-> r1\n"),
      `# Architecture\n\n${graphDoc.START}\n\n\`\`\`mermaid\nflowchart TD\n  r0 -.-> r1\n\`\`\`\n\n${graphDoc.END}\n\nReading it.\n`,
    );
  });

  it("refuses a page without its markers, naming the page", () => {
    assert.throws(() => graphDoc.withGraph("# no markers\n", "flowchart TD\n"), /docs\/architecture\.md has no plan-graph markers/);
  });

  it("refuses a stack that does not plan, naming its problems", async () => {
    await assert.rejects(graphDoc.planGraph(path.join(__dirname, "fixtures", "stacks"), "broken"), /stack broken does not plan: .*models\[1\]\.name: "llama-70b" is already used by models\[0\]/);
  });
});

describe("link checker", () => {
  const files: Record<string, string> = {
    "/r/README.md": "",
    "/r/docs/a.md": "# Page A\n\n## Cost: `plan --compare`\n\n## Same\n\n## Same\n",
    "/r/bench/RESULTS.md": "# Results\n",
  };
  const read = (f: string): string | undefined => files[f];

  it("makes GitHub's anchors: lower case, punctuation dropped, spaces as hyphens, repeats numbered", () => {
    assert.strictEqual(headingSlug("EKS (cloud.provider: aws)"), "eks-cloudprovider-aws");
    assert.strictEqual(headingSlug("$ per million output tokens"), "-per-million-output-tokens");
    assert.deepStrictEqual([...headingAnchors(files["/r/docs/a.md"])], ["page-a", "cost-plan---compare", "same", "same-1"]);
  });

  it("passes links that reach a file and a heading, and leaves external links alone", () => {
    const text = "[a](docs/a.md) [b](docs/a.md#same-1) [c](bench/RESULTS.md) [d](https://example.com/x#y) [e](mailto:x@example.com)";
    assert.deepStrictEqual(brokenLinks("/r/README.md", text, read), []);
  });

  it("reports a link to a missing file", () => {
    assert.deepStrictEqual(brokenLinks("/r/docs/a.md", "[x](missing.md)", read), ["missing.md: no file missing.md"]);
  });

  it("reports a link to a missing heading, in another page or the same one", () => {
    assert.deepStrictEqual(brokenLinks("/r/README.md", "[x](docs/a.md#nope)", read), ["docs/a.md#nope: no heading with anchor #nope in a.md"]);
    assert.deepStrictEqual(brokenLinks("/r/docs/a.md", `${files["/r/docs/a.md"]}\n[x](#page-b)`, read), ["#page-b: no heading with anchor #page-b in a.md"]);
  });

  it("reads links relative to the page, and not inside code", () => {
    assert.deepStrictEqual(brokenLinks("/r/docs/a.md", "[r](../bench/RESULTS.md)", read), []);
    assert.deepStrictEqual(brokenLinks("/r/docs/a.md", "[r](bench/RESULTS.md)", read), ["bench/RESULTS.md: no file bench/RESULTS.md"]);
    assert.deepStrictEqual(linkTargets("`[x](in-code.md)`\n\n```\n[y](in-block.md)\n```\n\n![img](pic.png)"), ["pic.png"]);
  });
});
