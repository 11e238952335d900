import type { ActionPreview } from '../actions.js';
import type { GenerationView } from '../generation-view.js';
import type { KeyPage } from '../keys.js';
import type { QuarantinedView } from '../quarantined-view.js';
import type { StateBox } from '../machine-graph.js';
import type { TreeNode } from '../tree.js';
import type { GenerationInfo, QuarantineInfo } from '../../src/adapter.js';

export type { ActionPreview, GenerationView, KeyPage, QuarantinedView, StateBox, TreeNode };

/** `/api/info`. */
export interface Info {
  readonly store: string;
  readonly adapter: string;
  readonly write: boolean;
  readonly notices: boolean;
  readonly machine: { id: string; version: number } | null;
}

/** `/api/key`. */
export interface KeyHistory {
  readonly key: string;
  readonly generations: GenerationInfo[];
  readonly quarantined: QuarantineInfo[];
}

/** `/api/diff`. */
export interface DiffView {
  readonly key: string;
  readonly a: GenerationView;
  readonly b: GenerationView;
  /** Every difference found; `changes` holds the first 2,000. */
  readonly total: number;
  readonly changes: Array<{ path: string; kind: 'added' | 'removed' | 'changed'; from?: TreeNode; to?: TreeNode }>;
}

/** An API answer that was not 2xx: its code and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

// The page lives at /<token>/: relative URLs carry the token without the page ever reading it.
async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
  if (!response.ok)
    throw new ApiError(response.status, body.error?.code ?? 'error', body.error?.message ?? response.statusText);
  return body as T;
}

/** GET `api/<path>` with query parameters. */
export async function get<T>(path: string, params: Record<string, string | number> = {}): Promise<T> {
  const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
  return answer<T>(await fetch(`api/${path}${query.size > 0 ? `?${query}` : ''}`, { cache: 'no-store' }));
}

/** POST a JSON body to `api/<path>`. */
export async function post<T>(path: string, body: unknown): Promise<T> {
  return answer<T>(
    await fetch(`api/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }),
  );
}
