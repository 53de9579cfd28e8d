/**
 * The export document's JSON Schema (resources/schemas/case-export.schema.json, shipped in the repository and copied
 * into every export) and its validator. Every case document is validated before it is written: a document that does
 * not match is a bug here, reported as an internal error rather than written.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvModule, { type ErrorObject, type ValidateFunction } from 'ajv';
import { VipError } from '@shared/errors';

export const SCHEMA_FILE_NAME = 'case-export.schema.json';

// ajv is CommonJS; under Node's ESM loader the class may sit on `default`.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as typeof AjvModule;

/** resources/schemas/ found by walking up from this module (sources under vitest, out/main after bundling). */
export function schemaPath(): string {
  const candidates: string[] = [];
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    candidates.push(join(dir, 'resources', 'schemas', SCHEMA_FILE_NAME));
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const electronResources = (process as { resourcesPath?: string }).resourcesPath;
  if (electronResources) candidates.push(join(electronResources, 'schemas', SCHEMA_FILE_NAME));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new VipError('internal', `Cannot find resources/schemas/${SCHEMA_FILE_NAME}`);
  return found;
}

let compiled: { text: string; validate: ValidateFunction } | null = null;

function load(): { text: string; validate: ValidateFunction } {
  if (compiled) return compiled;
  const text = readFileSync(schemaPath(), 'utf8');
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
  compiled = { text, validate: ajv.compile(JSON.parse(text) as object) };
  return compiled;
}

/** The schema file's text, to copy into an export. */
export function schemaText(): string {
  return load().text;
}

export function describeSchemaErrors(errors: readonly ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}

/** Throws an internal error naming the first mismatches when the document does not match the schema. */
export function assertValidCaseDocument(doc: unknown, label: string): void {
  const { validate } = load();
  if (!validate(doc)) {
    throw new VipError(
      'internal',
      `The export document of ${label} does not match ${SCHEMA_FILE_NAME}: ${describeSchemaErrors(validate.errors)}`,
    );
  }
}
