import { CheckpointError } from './errors.js';

/**
 * The part of the Standard Schema interface (standardschema.dev) the kit
 * uses; zod 4, valibot and arktype schemas all have it.
 */
export interface StandardSchema<Output = unknown> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  };
}

/** What a Standard Schema's `validate` returns: the output value, or the issues. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/**
 * Validates a restored context with any Standard Schema. Returns the schema's
 * output (so defaults and transforms apply); throws `validation` with the
 * first issue's path and every message.
 *
 * @example
 * ```ts
 * import { z } from 'zod';
 * import { validateContext } from 'xstate-checkpoint/pipeline';
 * const context = await validateContext(z.object({ count: z.number() }), { count: 1 });
 * ```
 */
export async function validateContext<T>(schema: StandardSchema<T>, context: unknown): Promise<T> {
  const result = await schema['~standard'].validate(context);
  if (result.issues === undefined) return result.value;
  const first = result.issues[0];
  const path = (first?.path ?? []).map((p) => (typeof p === 'object' ? p.key : p));
  throw new CheckpointError('validation', {
    path: ['context', ...path],
    detail: result.issues
      .slice(0, 5)
      .map(
        (i) =>
          `${(i.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.') || '(root)'}: ${i.message}`,
      )
      .join('; '),
  });
}
