// Parses an HCL file with HashiCorp's HCL parser (npm @cdktf/hcl2json, Go
// compiled to WASM) and prints it as JSON: node hcl2json.cjs FILE
// Exits 1 with the parser's message (file, line, column) on a syntax error.
"use strict";
const fs = require("fs");
const path = require("path");
const { parse } = require(path.resolve(process.env.AQI_HCL2JSON_MODULES, "@cdktf/hcl2json"));

const file = process.argv[2];
parse(path.basename(file), fs.readFileSync(file, "utf8")).then(
  (json) => process.stdout.write(JSON.stringify(json)),
  (error) => {
    process.stderr.write(String(error) + "\n");
    process.exit(1);
  },
);
