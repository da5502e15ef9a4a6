import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { configReference, withReference } from "../automation/docs/config-reference";

describe("README", () => {
  const readme = fs.readFileSync(path.resolve(__dirname, "..", "README.md"), "utf8");

  it("carries the config reference generated from the schema (run `npm run docs:config` after a schema change)", () => {
    assert.strictEqual(withReference(readme), readme);
  });

  it("documents every config field", () => {
    for (const field of ["environment.tier", "gpuPools[].instanceType", "models[].tensorParallel", "models[].gpuMemoryUtilization"]) {
      assert.ok(configReference().includes(`| \`${field}\` |`), field);
    }
  });

  it("opens with the two fresh-machine commands", () => {
    const firstScreen = readme.split("\n").slice(0, 40).join("\n");
    assert.ok(firstScreen.includes("npm ci && npm run plan -- local"), "plan command");
    assert.ok(firstScreen.includes("npm ci && npm test"), "test command");
  });
});
