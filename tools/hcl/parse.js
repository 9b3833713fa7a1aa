#!/usr/bin/env node
// Parses each HCL file named on the command line with HashiCorp's HCL parser
// (@cdktf/hcl2json, the Go parser compiled to WebAssembly).
// Prints one JSON object {"<file>": {"ok": true} | {"ok": false, "error": "..."}}
// and exits 1 when any file fails to parse, 2 when no file was given.
"use strict";

const fs = require("node:fs");
const { parse } = require("@cdktf/hcl2json");

async function main(files) {
  if (files.length === 0) {
    process.stderr.write("usage: parse.js FILE...\n");
    return 2;
  }
  const report = {};
  for (const file of files) {
    try {
      await parse(file, fs.readFileSync(file, "utf8"));
      report[file] = { ok: true };
    } catch (err) {
      report[file] = { ok: false, error: String(err && err.message ? err.message : err) };
    }
  }
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  return Object.values(report).every((r) => r.ok) ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(String(err) + "\n");
    process.exit(2);
  },
);
