#!/usr/bin/env node
// Parses each HCL file named on the command line (Terraform, Packer) with
// HashiCorp's HCL parser (@cdktf/hcl2json, the Go parser compiled to WebAssembly).
// Prints one JSON object, one entry per file:
//   {"<file>": {"ok": true, "json": <the file as JSON>} | {"ok": false, "error": "<message>"}}
// where a syntax error's message names the file, line and column.
// Exits 0 when every file parses, 1 when any fails, 2 when no file was given.
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
      report[file] = { ok: true, json: await parse(file, fs.readFileSync(file, "utf8")) };
    } catch (err) {
      report[file] = { ok: false, error: String(err && err.message ? err.message : err) };
    }
  }
  process.stdout.write(JSON.stringify(report) + "\n");
  return Object.values(report).every((r) => r.ok) ? 0 : 1;
}

// Sets the exit code rather than calling process.exit(), which would cut off
// output still being written to a pipe.
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(String(err) + "\n");
    process.exitCode = 2;
  },
);
