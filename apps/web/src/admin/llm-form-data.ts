import {
  type AdminLlm,
  LLM_CATEGORIES,
  LLM_STATUSES,
  type LlmAdminFields,
  type LlmCategory,
  type LlmStatus,
} from '@llmpt/shared';

/** What the form's inputs hold: text as typed, so a bad number can be named, not dropped. */
export interface LlmFormValues {
  id: string;
  name: string;
  vendor: string;
  family: string;
  releaseDate: string;
  openWeights: boolean;
  parametersB: string;
  contextWindow: string;
  categories: LlmCategory[];
  homepage: string;
  status: LlmStatus;
}

export type LlmField = keyof LlmFormValues;

export const EMPTY_FORM: LlmFormValues = {
  id: '',
  name: '',
  vendor: '',
  family: '',
  releaseDate: '',
  openWeights: false,
  parametersB: '',
  contextWindow: '',
  categories: [],
  homepage: '',
  status: 'active',
};

const isCategory = (c: string): c is LlmCategory =>
  (LLM_CATEGORIES as readonly string[]).includes(c);
const isStatus = (s: string): s is LlmStatus => (LLM_STATUSES as readonly string[]).includes(s);

export function formFromLlm(llm: AdminLlm): LlmFormValues {
  return {
    id: llm.id,
    name: llm.name,
    vendor: llm.vendor,
    family: llm.family,
    releaseDate: llm.releaseDate ?? '',
    openWeights: llm.openWeights,
    parametersB: llm.parametersB === null ? '' : String(llm.parametersB),
    contextWindow: llm.contextWindow === null ? '' : String(llm.contextWindow),
    categories: llm.categories.filter(isCategory),
    homepage: llm.homepage ?? '',
    status: isStatus(llm.status) ? llm.status : 'active',
  };
}

export type ParsedForm =
  { ok: true; fields: LlmAdminFields } | { ok: false; errors: Partial<Record<LlmField, string[]>> };

/**
 * The api's input from the form. Only what text cannot say is checked here (a number that isn't
 * one); every rule of the catalogue is the server's (zod), whose messages come back per field.
 * An empty optional field is null; text is sent as typed (the server trims).
 */
export function parseForm(values: LlmFormValues): ParsedForm {
  const errors: Partial<Record<LlmField, string[]>> = {};
  const number = (field: 'parametersB' | 'contextWindow'): number | null => {
    const text = values[field].trim().replaceAll(',', '').replaceAll('_', '');
    if (text === '') return null;
    const n = Number(text);
    if (!Number.isFinite(n)) {
      errors[field] = ['must be a number'];
      return null;
    }
    return n;
  };
  const parametersB = number('parametersB');
  const contextWindow = number('contextWindow');
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const orNull = (s: string) => (s.trim() === '' ? null : s.trim());
  return {
    ok: true,
    fields: {
      name: values.name,
      vendor: values.vendor,
      family: values.family,
      releaseDate: orNull(values.releaseDate),
      openWeights: values.openWeights,
      parametersB,
      contextWindow,
      categories: LLM_CATEGORIES.filter((c) => values.categories.includes(c)),
      homepage: orNull(values.homepage),
      status: values.status,
    },
  };
}
