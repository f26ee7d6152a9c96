import { LLM_CATEGORIES, type LlmCategory } from '@llmpt/shared';
import { useId } from 'react';

import { categoryLabel } from '../lib/format.ts';

interface LeaderboardFiltersProps {
  category: LlmCategory | null;
  onCategoryChange: (category: LlmCategory | null) => void;
  search: string;
  onSearchChange: (search: string) => void;
}

function isCategory(value: string): value is LlmCategory {
  return (LLM_CATEGORIES as readonly string[]).includes(value);
}

export function LeaderboardFilters(props: LeaderboardFiltersProps) {
  const id = useId();
  return (
    // Filters apply as you type; there is nothing to submit.
    <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
      <div className="field">
        <label htmlFor={`${id}-category`}>Category</label>
        <select
          id={`${id}-category`}
          value={props.category ?? ''}
          onChange={(e) =>
            props.onCategoryChange(isCategory(e.target.value) ? e.target.value : null)
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
      <div className="field field-grow">
        <label htmlFor={`${id}-search`}>Search</label>
        <input
          id={`${id}-search`}
          type="search"
          placeholder="Model, vendor or family"
          autoComplete="off"
          spellCheck={false}
          maxLength={100}
          value={props.search}
          onChange={(e) => props.onSearchChange(e.target.value)}
        />
      </div>
    </form>
  );
}
