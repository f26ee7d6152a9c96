import type { LlmCategory, LlmStatus } from '@llmpt/shared';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** The model catalogue; `id` is the public slug (see LLM_ID_PATTERN). */
export interface LlmsTable {
  id: string;
  name: string;
  vendor: string;
  family: string;
  /** 'YYYY-MM-DD' (the client keeps `date` as a string). */
  release_date: string | null;
  open_weights: boolean;
  /** Billions of parameters (total, for mixtures of experts); null when not public. */
  parameters_b: ColumnType<number | null, number | null | undefined, number | null>;
  context_window: number | null;
  categories: ColumnType<LlmCategory[], LlmCategory[] | undefined, LlmCategory[]>;
  homepage: string | null;
  status: Generated<LlmStatus>;
  created_at: Generated<Date>;
  /** Set by a trigger on every update. */
  updated_at: Generated<Date>;
}

export type LlmRow = Selectable<LlmsTable>;
export type NewLlmRow = Insertable<LlmsTable>;
export type LlmRowUpdate = Updateable<LlmsTable>;
