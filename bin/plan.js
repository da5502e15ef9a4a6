#!/usr/bin/env node
// Entry point of the `llm-platform-plan` command: runs the TypeScript sources through tsx.
require("tsx/cjs");
const { main } = require("../automation/plan/cli.ts");
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`plan: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(3);
  },
);
