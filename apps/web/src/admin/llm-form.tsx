import { type AdminLlm, LLM_CATEGORIES, LLM_STATUSES, type LlmCategory } from '@llmpt/shared';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, type ReactNode, useEffect, useRef, useState } from 'react';

import { categoryLabel } from '../lib/format.ts';
import { adminTrpc } from './client.ts';
import { adminErrorMessage, fieldErrors, formErrors, isConflict } from './errors.ts';
import {
  EMPTY_FORM,
  type LlmField,
  type LlmFormValues,
  formFromLlm,
  parseForm,
} from './llm-form-data.ts';

interface LlmFormProps {
  /** The model being edited (as last read), or null to add one. */
  llm: AdminLlm | null;
  onSaved: (llm: AdminLlm) => void;
  onCancel: () => void;
  /** Reads the model again (after a conflict): the fresh record, or null if it is gone. */
  reload: (id: string) => Promise<AdminLlm | null>;
}

type Errors = Partial<Record<LlmField, string[]>>;

const STATUS_LABEL: Record<(typeof LLM_STATUSES)[number], string> = {
  active: 'Active (listed)',
  hidden: 'Hidden (not listed, still votable by link)',
  retired: 'Retired',
};

/**
 * Add or edit a model: every field a voter sees. The server validates (its messages show next to
 * each field); an edit carries the `updatedAt` it started from, and a change someone made
 * meanwhile is refused (CONFLICT) with an offer to reload instead of being overwritten.
 */
export function LlmForm({ llm, onSaved, onCancel, reload }: LlmFormProps) {
  const editing = llm !== null;
  const [base, setBase] = useState<AdminLlm | null>(llm);
  const [values, setValues] = useState<LlmFormValues>(() => (llm ? formFromLlm(llm) : EMPTY_FORM));
  const [errors, setErrors] = useState<Errors>({});
  const [problem, setProblem] = useState<ReactNode>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const form = useRef<HTMLFormElement>(null);

  useEffect(() => {
    heading.current?.focus();
  }, []);

  const create = useMutation(adminTrpc.admin.catalogue.create.mutationOptions());
  const update = useMutation(adminTrpc.admin.catalogue.update.mutationOptions());
  const busy = create.isPending || update.isPending;

  function set<K extends LlmField>(field: K, value: LlmFormValues[K]) {
    setValues((v) => ({ ...v, [field]: value }));
  }

  // Bumped by each showErrors: after the commit that marks the fields, the first field in error
  // (in the form's order) takes focus. A requestAnimationFrame here could run before React had
  // committed errors set after an awaited mutation, and then found no field to focus.
  const [errorsShown, setErrorsShown] = useState(0);
  useEffect(() => {
    if (errorsShown > 0) form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [errorsShown]);

  function showErrors(next: Errors) {
    setErrors(next);
    setErrorsShown((n) => n + 1);
  }

  async function doReload() {
    const id = base?.id ?? values.id;
    const fresh = await reload(id).catch(() => null);
    if (!fresh) {
      setProblem('This model no longer exists.');
      return;
    }
    setBase(fresh);
    setValues(formFromLlm(fresh));
    setErrors({});
    setProblem(null);
    heading.current?.focus();
  }

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    setProblem(null);
    const parsed = parseForm(values);
    if (!parsed.ok) {
      showErrors(parsed.errors);
      return;
    }
    try {
      const saved = base
        ? await update.mutateAsync({
            ...parsed.fields,
            id: base.id,
            expectedUpdatedAt: base.updatedAt,
          })
        : await create.mutateAsync({ ...parsed.fields, id: values.id.trim() });
      onSaved(saved);
    } catch (error) {
      const byField = fieldErrors(error);
      if (Object.keys(byField).length > 0) {
        showErrors(byField);
        const general = formErrors(error);
        if (general.length > 0) setProblem(general.join(' '));
        return;
      }
      setErrors({});
      if (isConflict(error) && base) {
        setProblem(
          <>
            Someone else changed {base.name} since you opened it: your edit was not saved.{' '}
            <button type="button" className="admin-button" onClick={() => void doReload()}>
              Reload it
            </button>
          </>,
        );
      } else if (isConflict(error)) {
        showErrors({ id: [adminErrorMessage(error)] });
      } else {
        setProblem(adminErrorMessage(error));
      }
    }
  }

  const field = (name: LlmField) => ({
    id: `llm-${name}`,
    'aria-invalid': errors[name] ? true : undefined,
    'aria-describedby': errors[name] ? `llm-${name}-error` : undefined,
  });

  return (
    <form
      ref={form}
      className="admin-card admin-form"
      onSubmit={(e) => void submit(e)}
      noValidate
      aria-labelledby="llm-form-title"
    >
      <h2 id="llm-form-title" ref={heading} tabIndex={-1}>
        {editing ? `Edit ${base?.name ?? llm.name}` : 'Add model'}
      </h2>
      {problem ? (
        <div className="admin-banner" data-tone="error" role="alert">
          {problem}
        </div>
      ) : null}
      <div className="admin-form-grid">
        {editing ? null : (
          <Field
            name="id"
            label="Id"
            errors={errors}
            hint="Lowercase letters, digits, “.”, “-” or “_”; fixed once added."
          >
            <input
              {...field('id')}
              value={values.id}
              autoCapitalize="none"
              spellCheck={false}
              onChange={(e) => set('id', e.target.value)}
            />
          </Field>
        )}
        <Field name="name" label="Name" errors={errors}>
          <input
            {...field('name')}
            value={values.name}
            onChange={(e) => set('name', e.target.value)}
          />
        </Field>
        <Field name="vendor" label="Vendor" errors={errors}>
          <input
            {...field('vendor')}
            value={values.vendor}
            onChange={(e) => set('vendor', e.target.value)}
          />
        </Field>
        <Field name="family" label="Family" errors={errors}>
          <input
            {...field('family')}
            value={values.family}
            onChange={(e) => set('family', e.target.value)}
          />
        </Field>
        <Field name="releaseDate" label="Release date" errors={errors}>
          <input
            {...field('releaseDate')}
            type="date"
            value={values.releaseDate}
            onChange={(e) => set('releaseDate', e.target.value)}
          />
        </Field>
        <Field name="parametersB" label="Parameters (billions)" errors={errors}>
          <input
            {...field('parametersB')}
            inputMode="decimal"
            value={values.parametersB}
            onChange={(e) => set('parametersB', e.target.value)}
          />
        </Field>
        <Field name="contextWindow" label="Context window" errors={errors} hint="Tokens">
          <input
            {...field('contextWindow')}
            inputMode="numeric"
            value={values.contextWindow}
            onChange={(e) => set('contextWindow', e.target.value)}
          />
        </Field>
        <Field name="homepage" label="Homepage" errors={errors}>
          <input
            {...field('homepage')}
            type="url"
            inputMode="url"
            placeholder="https://"
            value={values.homepage}
            onChange={(e) => set('homepage', e.target.value)}
          />
        </Field>
        <Field name="status" label="Status" errors={errors}>
          <select
            {...field('status')}
            value={values.status}
            onChange={(e) => set('status', e.target.value as LlmFormValues['status'])}
          >
            {LLM_STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABEL[s]}
              </option>
            ))}
          </select>
        </Field>
        <div className="admin-field admin-field-check">
          <label>
            <input
              {...field('openWeights')}
              type="checkbox"
              checked={values.openWeights}
              onChange={(e) => set('openWeights', e.target.checked)}
            />
            Open weights
          </label>
          <FieldError name="openWeights" errors={errors} />
        </div>
      </div>
      <fieldset
        className="admin-fieldset"
        aria-invalid={errors.categories ? true : undefined}
        aria-describedby={errors.categories ? 'llm-categories-error' : undefined}
      >
        <legend>Categories</legend>
        <div className="admin-checks">
          {LLM_CATEGORIES.map((c, i) => (
            <label key={c}>
              <input
                type="checkbox"
                // The group's first box takes focus when the group is in error.
                aria-invalid={i === 0 && errors.categories ? true : undefined}
                checked={values.categories.includes(c)}
                onChange={(e) => set('categories', toggle(values.categories, c, e.target.checked))}
              />
              {categoryLabel(c)}
            </label>
          ))}
        </div>
        <FieldError name="categories" errors={errors} />
      </fieldset>
      <div className="admin-form-actions">
        <button type="submit" className="button" disabled={busy}>
          Save
        </button>
        <button type="button" className="admin-button" onClick={onCancel}>
          Cancel
        </button>
        <span className="muted" role="status">
          {busy ? 'Saving…' : ''}
        </span>
      </div>
    </form>
  );
}

function toggle(list: LlmCategory[], c: LlmCategory, on: boolean): LlmCategory[] {
  return on ? [...list.filter((x) => x !== c), c] : list.filter((x) => x !== c);
}

function Field({
  name,
  label,
  errors,
  hint,
  children,
}: {
  name: LlmField;
  label: string;
  errors: Errors;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className="admin-field">
      <label htmlFor={`llm-${name}`}>{label}</label>
      {children}
      {hint && !errors[name] ? <span className="admin-hint muted">{hint}</span> : null}
      <FieldError name={name} errors={errors} />
    </div>
  );
}

function FieldError({ name, errors }: { name: LlmField; errors: Errors }) {
  const messages = errors[name];
  if (!messages) return null;
  return (
    <span id={`llm-${name}-error`} className="admin-field-error">
      {messages.map(capitalize).join(' ')}
    </span>
  );
}

const capitalize = (s: string) => {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
};
