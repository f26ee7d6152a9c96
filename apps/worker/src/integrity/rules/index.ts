import { automation } from './automation.ts';
import type { Rule } from './common.ts';
import { cookieChurn } from './cookie-churn.ts';
import { fingerprintNewVoters } from './fingerprint-new-voters.ts';
import { modelBurst } from './model-burst.ts';
import { prefixNewVoters } from './prefix-new-voters.ts';
import { rateLimitRiding } from './rate-limit-riding.ts';
import { singleModelPrefix } from './single-model-prefix.ts';

export type { FlagDraft, Rule, RuleContext } from './common.ts';

/**
 * Every rule, in the order the sweep raises their flags: a ballot goes to the first flag that
 * blames it (a ballot is held by one flag at a time), so the most specific explanation comes
 * first.
 */
export const RULES: readonly Rule[] = [
  prefixNewVoters,
  fingerprintNewVoters,
  cookieChurn,
  singleModelPrefix,
  modelBurst,
  automation,
  rateLimitRiding,
];
