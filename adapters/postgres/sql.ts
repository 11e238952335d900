import { CheckpointError } from '../../src/errors.js';

// Identifiers are cut at 63 bytes; the adapter appends up to 15 characters to the table name.
/** The longest table name the adapter and the journal accept. */
export const MAX_TABLE_LENGTH = 48;

/**
 * A quoted SQL identifier (`"` doubled).
 *
 * @example
 * ```ts
 * import { quote } from './sql.js';
 * quote('my"table'); // "my""table"
 * ```
 */
export const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

/** Where the adapter's and the journal's tables live. */
export interface TableNaming {
  /** The base table name. */
  readonly table: string;
  readonly schema: string | undefined;
  /** `name` quoted, and qualified by the schema when one is set. */
  qualify(name: string): string;
}

/**
 * Checks the `table` and `schema` options once for the adapter and the journal
 * (`invalid-option` for an empty name, a NUL or one too long) and qualifies names.
 *
 * @example
 * ```ts
 * import { tableNaming } from './sql.js';
 * tableNaming({ schema: 'app' }).qualify('xstate_checkpoints_heads'); // "app"."xstate_checkpoints_heads"
 * ```
 */
export function tableNaming(options: { readonly table?: string; readonly schema?: string }): TableNaming {
  const table = options.table ?? 'xstate_checkpoints';
  const schema = options.schema;
  const bad = (detail: string) => new CheckpointError('invalid-option', { adapter: 'postgres', detail });
  if (table.length === 0 || table.length > MAX_TABLE_LENGTH || table.includes('\0')) {
    throw bad(`table must be 1 to ${MAX_TABLE_LENGTH} characters without NUL, got ${JSON.stringify(table)}`);
  }
  if (schema !== undefined && (schema.length === 0 || schema.length > 63 || schema.includes('\0'))) {
    throw bad(`schema must be 1 to 63 characters without NUL, got ${JSON.stringify(schema)}`);
  }
  return {
    table,
    schema,
    qualify: (name) => (schema === undefined ? quote(name) : `${quote(schema)}.${quote(name)}`),
  };
}
