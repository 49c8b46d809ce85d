#!/usr/bin/env node
// Validates JSON files against JSON Schemas (draft 2020-12) with ajv.
//
//   node reports/schema/validate.mjs SCHEMA[#/json/pointer] FILE... [--schema SCHEMA[#/json/pointer] FILE...]...
//
// SCHEMA may name a subschema by its JSON pointer, e.g.
// report.schema.json#/$defs/cell_record for a report's cell files; each
// --schema starts a group of files checked against another (sub)schema, in
// the same process (compiling the schema is most of the time taken).
// Prints each error as "FILE: <instance path>: <message>" on stdout.
// Exit status: 0 all files valid, 1 some file invalid, 2 usage or I/O error
// (a file that cannot be read or is not JSON, a schema that does not compile).
import { readFileSync } from "node:fs";

const usage = "usage: node validate.mjs SCHEMA[#/json/pointer] FILE... [--schema SCHEMA[#/json/pointer] FILE...]...";
// Errors listed per file; the rest are counted. A broken report can have
// one error per cell.
const maxErrorsPerFile = 50;

function fail(message) {
  process.stderr.write(`validate.mjs: ${message}\n`);
  process.exit(2);
}

// ajv lives in reports/node_modules (npm ci in reports/, run by setup.sh).
async function loadAjv() {
  try {
    const { default: Ajv2020 } = await import("ajv/dist/2020.js");
    const { default: addFormats } = await import("ajv-formats");
    return { Ajv2020, addFormats };
  } catch (e) {
    fail(`cannot load ajv and ajv-formats (${e.code ?? e.message}): run \`npm ci\` in reports/ (setup.sh does)`);
  }
}

function readJson(path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    return { error: `cannot read: ${e.message}` };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    return { error: `invalid JSON: ${e.message}` };
  }
}

// One line per error, with what ajv knows beyond its message: the allowed
// values, the property that is missing or not allowed.
function describe(error) {
  const p = error.params ?? {};
  let message = error.message ?? error.keyword;
  if (error.keyword === "enum") message += `: ${p.allowedValues.map((v) => JSON.stringify(v)).join(", ")}`;
  if (error.keyword === "const") message += `: ${JSON.stringify(p.allowedValue)}`;
  if (error.keyword === "additionalProperties") message += `: "${p.additionalProperty}"`;
  return `${error.instancePath || "/"}: ${message}`;
}

// The validators of one ajv instance, by SCHEMA[#pointer] argument: a
// schema file is read and added once.
async function makeCompiler() {
  const { Ajv2020, addFormats } = await loadAjv();
  const ajv = new Ajv2020({
    allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true,
    allowMatchingProperties: true,
  });
  addFormats(ajv);
  const keys = new Map();  // schema path -> its key in ajv
  return (schemaArg) => {
    const [schemaPath, pointer] = schemaArg.split("#");
    if (!keys.has(schemaPath)) {
      const schema = readJson(schemaPath);
      if (schema.error) fail(`${schemaPath}: ${schema.error}`);
      const key = schema.value.$id ?? schemaPath;
      try {
        ajv.addSchema(schema.value, schema.value.$id ? undefined : key);
      } catch (e) {
        fail(`${schemaPath}: not a schema: ${e.message}`);
      }
      keys.set(schemaPath, key);
    }
    const key = keys.get(schemaPath);
    try {
      const validate = ajv.getSchema(pointer ? `${key}#${pointer}` : key);
      if (!validate) fail(`${schemaArg}: no such subschema`);
      return validate;
    } catch (e) {
      fail(`${schemaArg}: the schema does not compile: ${e.message}`);
    }
  };
}

// [[schemaArg, [file...]]...] from the command line.
function groups(args) {
  const out = [];
  let expectSchema = true;
  for (const arg of args) {
    if (arg === "--schema") {
      if (expectSchema) fail(usage);
      expectSchema = true;
    } else if (expectSchema) {
      out.push([arg, []]);
      expectSchema = false;
    } else {
      out.at(-1)[1].push(arg);
    }
  }
  if (out.length === 0 || out.some(([, files]) => files.length === 0)) fail(usage);
  return out;
}

function check(validate, file) {
  const data = readJson(file);
  if (data.error) {
    process.stderr.write(`${file}: ${data.error}\n`);
    return "unreadable";
  }
  if (validate(data.value)) return "valid";
  const errors = validate.errors ?? [];
  for (const error of errors.slice(0, maxErrorsPerFile)) process.stdout.write(`${file}: ${describe(error)}\n`);
  if (errors.length > maxErrorsPerFile) process.stdout.write(`${file}: ... and ${errors.length - maxErrorsPerFile} more errors\n`);
  return "invalid";
}

const work = groups(process.argv.slice(2));
const compile = await makeCompiler();
const outcomes = new Set();
for (const [schemaArg, files] of work) {
  const validate = compile(schemaArg);
  for (const file of files) outcomes.add(check(validate, file));
}
process.exit(outcomes.has("unreadable") ? 2 : outcomes.has("invalid") ? 1 : 0);
