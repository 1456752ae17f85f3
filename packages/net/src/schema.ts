/**
 * Message schemas. A schema is any Standard Schema v1 validator (https://standardschema.dev):
 * valibot (which this package uses for its own messages), zod 3.24+, arktype and others all
 * implement it, so callers are not tied to one library. Validation is synchronous on the wire:
 * a schema that answers with a Promise is refused at registration time, because an async check
 * inside a gossip validator would let a flood hold validation slots open.
 */

import { InvalidArgumentError, SchemaError } from './errors.js';

/** The Standard Schema v1 contract (types only; copied from the spec as it intends). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<{ readonly message: string; readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined }> };

/** What a schema accepts. */
export type InferInput<S> = S extends StandardSchemaV1<infer I, unknown> ? I : never;
/** What a schema produces. */
export type InferOutput<S> = S extends StandardSchemaV1<unknown, infer O> ? O : never;

/** Message type name -> schema of its body. Type names follow @edge/identity's envelope rule. */
export type MessageMap = Readonly<Record<string, StandardSchemaV1>>;

const TYPE_PATTERN = /^[a-z][a-z0-9._/-]{0,63}$/;
const MAX_ISSUES = 8;

/** Checks a message map at registration time: valid type names, Standard Schema validators. */
export function checkMessageMap(map: MessageMap, what: string): void {
  if (typeof map !== 'object' || map === null) throw new InvalidArgumentError(`${what} must be an object of schemas`);
  const types = Object.keys(map);
  if (types.length === 0) throw new InvalidArgumentError(`${what} must define at least one message type`);
  for (const type of types) {
    if (!TYPE_PATTERN.test(type)) throw new InvalidArgumentError(`message type ${JSON.stringify(type)} must match ${TYPE_PATTERN}`);
    const s = map[type] as StandardSchemaV1 | undefined;
    if (typeof s !== 'object' || s === null || typeof s['~standard']?.validate !== 'function') {
      throw new InvalidArgumentError(`schema of ${type} is not a Standard Schema validator`);
    }
  }
}

function pathOf(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string {
  if (path === undefined || path.length === 0) return '';
  return path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.') + ': ';
}

/**
 * Validates `value` against `schema`; returns the validated output or throws `SchemaError`.
 * Never throws anything else: a validator that throws is reported as a schema failure.
 */
export function validateBody<S extends StandardSchemaV1>(schema: S, type: string, value: unknown): InferOutput<S> {
  let result: StandardResult<unknown> | Promise<StandardResult<unknown>>;
  try {
    result = schema['~standard'].validate(value);
  } catch (error) {
    throw new SchemaError(type, [`validator threw: ${error instanceof Error ? error.message : String(error)}`]);
  }
  if (typeof (result as Promise<unknown>)?.then === 'function') {
    throw new SchemaError(type, ['asynchronous schemas are not supported on the wire']);
  }
  const r = result as StandardResult<unknown>;
  if (r.issues !== undefined) {
    throw new SchemaError(
      type,
      r.issues.slice(0, MAX_ISSUES).map((i) => `${pathOf(i.path)}${String(i.message).slice(0, 200)}`),
    );
  }
  return r.value as InferOutput<S>;
}
