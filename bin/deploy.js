#!/usr/bin/env node
// Entry point of the `llm-platform-deploy` command: runs the TypeScript sources through tsx.
require("tsx/cjs");
const { main } = require("../automation/deploy/cli.ts");
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`deploy: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exit(3);
  },
);
