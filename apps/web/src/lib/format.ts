import type { LlmCategory } from '@llmpt/shared';

const count = new Intl.NumberFormat();
const signed = new Intl.NumberFormat(undefined, { signDisplay: 'exceptZero' });

export const formatCount = (n: number): string => count.format(n);
export const formatScore = (n: number): string => signed.format(n);

/** 'long-context' → 'Long context'. */
export function categoryLabel(category: LlmCategory): string {
  const words = category.replaceAll('-', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
