import { LLM_CATEGORIES, type LeaderboardSearch, type LlmCategory } from '@llmpt/shared';
import { useId, useState } from 'react';

import { matchVendor } from '../lib/filter-rows.ts';
import { categoryLabel } from '../lib/format.ts';

interface LeaderboardFiltersProps {
  search: LeaderboardSearch;
  /** `replace`: typing in the search box rewrites the URL instead of adding history entries. */
  onChange: (next: LeaderboardSearch, opts?: { replace?: boolean }) => void;
  vendors: readonly string[];
}

const isCategory = (value: string): value is LlmCategory =>
  (LLM_CATEGORIES as readonly string[]).includes(value);

/** The URL's sort: the default, 'score', is left out. */
const sortOf = (value: string): LeaderboardSearch['sort'] =>
  value === 'wilson' || value === 'trending' ? value : undefined;

/** Search, category, vendor, open weights and sort: every one lives in the URL. */
export function LeaderboardFilters({ search, onChange, vendors }: LeaderboardFiltersProps) {
  const id = useId();
  const set = (patch: Partial<LeaderboardSearch>, opts?: { replace?: boolean }) =>
    onChange({ ...search, ...patch }, opts);

  // The box shows what is typed (spaces included) while the URL gets the trimmed text. A `q`
  // from elsewhere (back button, Clear filters) replaces the text, but not while the voter is
  // typing: the URL may lag a keystroke behind, and must not overwrite the newer text.
  const [text, setText] = useState(search.q ?? '');
  const [shownQ, setShownQ] = useState(search.q);
  const [typing, setTyping] = useState(false);
  if (!typing && shownQ !== search.q) {
    setShownQ(search.q);
    if ((search.q ?? '') !== text.trim()) setText(search.q ?? '');
  }

  return (
    // Everything applies as it changes; there is nothing to submit.
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div className="field field-search">
        <label htmlFor={`${id}-q`}>Search models</label>
        <input
          id={`${id}-q`}
          type="search"
          placeholder="Name, vendor or family"
          autoComplete="off"
          spellCheck={false}
          maxLength={100}
          value={text}
          onFocus={() => setTyping(true)}
          onBlur={() => setTyping(false)}
          onChange={(e) => {
            setText(e.target.value);
            set({ q: e.target.value.trim() || undefined }, { replace: true });
          }}
        />
      </div>
      <div className="field">
        <label htmlFor={`${id}-category`}>Category</label>
        <select
          id={`${id}-category`}
          value={search.category ?? ''}
          onChange={(e) =>
            set({ category: isCategory(e.target.value) ? e.target.value : undefined })
          }
        >
          <option value="">All categories</option>
          {LLM_CATEGORIES.map((c) => (
            <option key={c} value={c}>
              {categoryLabel(c)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-vendor`}>Vendor</label>
        <select
          id={`${id}-vendor`}
          value={search.vendor ? (matchVendor(vendors, search.vendor) ?? search.vendor) : ''}
          onChange={(e) => set({ vendor: e.target.value || undefined })}
        >
          <option value="">All vendors</option>
          {vendors.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={`${id}-sort`}>Sort by</label>
        <select
          id={`${id}-sort`}
          value={search.sort ?? 'score'}
          onChange={(e) => set({ sort: sortOf(e.target.value) })}
        >
          <option value="score">Score</option>
          <option value="wilson">Wilson lower bound</option>
          <option value="trending">Trending</option>
        </select>
      </div>
      <div className="field field-check">
        <input
          id={`${id}-open`}
          type="checkbox"
          checked={search.open === '1'}
          onChange={(e) => set({ open: e.target.checked ? '1' : undefined })}
        />
        <label htmlFor={`${id}-open`}>Open weights only</label>
      </div>
    </form>
  );
}
