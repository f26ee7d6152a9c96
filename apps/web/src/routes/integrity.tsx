import { INTEGRITY_RULES, INTEGRITY_RULE_PUBLIC } from '@llmpt/shared';
import { Link } from '@tanstack/react-router';

import { formatCount } from '../lib/format.ts';
import { OWN_VOTE_STATUS } from '../lib/integrity.ts';
import { usePageTitle } from '../lib/page-title.ts';
import { useIntegritySummary } from '../lib/use-integrity-summary.ts';

/**
 * `/integrity` (issue 13): what the integrity checks look for (the public texts of the rules,
 * never their thresholds: those would help whoever tries to get past them), what happens to
 * removed votes, what your own vote's status means, and what is kept to check them.
 */
export function IntegrityPage() {
  usePageTitle('How votes are checked');
  const summary = useIntegritySummary();
  return (
    <article className="prose" data-testid="integrity-page">
      <p className="back-link">
        <Link to="/">← Leaderboard</Link>
      </p>
      <div className="page-heading">
        <h1 tabIndex={-1}>How votes are checked</h1>
        <p className="muted">
          A popularity ranking is only worth something if it is hard to stuff. Here is what we
          check, what happens to the votes we take out, and what we keep to do it.
        </p>
      </div>

      {summary ? (
        <p className="integrity-figures" data-testid="integrity-figures">
          So far <strong>{formatCount(summary.removedTotal)}</strong>{' '}
          {summary.removedTotal === 1 ? 'vote has' : 'votes have'} been removed by these checks
          {summary.underReview > 0 ? (
            <>
              , <strong>{formatCount(summary.underReview)}</strong> of them waiting for review
            </>
          ) : null}
          .
        </p>
      ) : null}

      <section aria-labelledby="i-checks">
        <h2 id="i-checks">What we look for</h2>
        <p>
          Every few seconds the server looks over the latest votes for patterns that people voting
          on their own don’t make. We don’t publish the exact limits, since they would tell anyone
          trying to get around them how far they can go.
        </p>
        <dl className="integrity-rules">
          {INTEGRITY_RULES.map((rule) => (
            <div key={rule} data-rule={rule}>
              <dt>{INTEGRITY_RULE_PUBLIC[rule].title}</dt>
              <dd>{INTEGRITY_RULE_PUBLIC[rule].checks}</dd>
            </div>
          ))}
        </dl>
      </section>

      <section aria-labelledby="i-removed">
        <h2 id="i-removed">What happens to removed votes</h2>
        <ul>
          <li>
            <strong>Taken out, not deleted.</strong> A flagged vote stops counting at once: the
            model’s score and rank change on every screen. The vote itself is kept.
          </li>
          <li>
            <strong>Reviewed by a person.</strong> Every flag waits for one of the site’s admins,
            who sees what was counted and either confirms it (the votes stay out, and the voters or
            network involved may be blocked from voting for a while) or dismisses it.
          </li>
          <li>
            <strong>Restored if dismissed.</strong> When a flag is dismissed, its votes count again,
            exactly as they were.
          </li>
          <li>
            <strong>Shown on the board.</strong> The leaderboard shows how many votes were removed
            from each model (“−12 removed” beside its score) and in total.
          </li>
        </ul>
      </section>

      <section aria-labelledby="i-yours">
        <h2 id="i-yours">Your own votes</h2>
        <p>Beside a model you voted on, the site tells you when your vote doesn’t count:</p>
        <dl className="integrity-statuses">
          <div>
            <dt>Counted (nothing shown)</dt>
            <dd>Your vote counts. You can change it or take it back at any time.</dd>
          </div>
          <div data-status="under_review">
            <dt>{OWN_VOTE_STATUS.under_review.label}</dt>
            <dd>{OWN_VOTE_STATUS.under_review.explain}</dd>
          </div>
          <div data-status="removed">
            <dt>{OWN_VOTE_STATUS.removed.label}</dt>
            <dd>{OWN_VOTE_STATUS.removed.explain}</dd>
          </div>
        </dl>
        <p>If your vote was caught by mistake, the review is there to give it back.</p>
      </section>

      <section aria-labelledby="i-privacy">
        <h2 id="i-privacy">What we keep (privacy)</h2>
        <ul>
          <li>
            With each vote the server keeps <strong>keyed hashes</strong> of your IP address, of
            your network (the first three parts of an IPv4 address, or the first half of an IPv6
            one), of your browser’s user agent and, if your browser sent one, of a browser
            fingerprint. Nothing raw is stored: the hashes can be compared with each other but not
            turned back into an address.
          </li>
          <li>
            The <strong>browser fingerprint</strong> is computed in your browser by the open-source
            FingerprintJS library, after the page has loaded, and sent with your votes as a
            32-character id. It is optional: if it is blocked or fails, your votes are sent without
            it and count the same. We also send whether the browser says it is being driven by
            automation.
          </li>
          <li>
            These signals are kept for a limited time (30 days unless the site’s operators set
            another period) and then erased; the votes themselves stay.
          </li>
          <li>
            Your voter id is the random cookie the site already uses to know which votes are yours;
            there is no account.
          </li>
        </ul>
        <p>
          <Link to="/methodology">How ranking works</Link> explains scores, ranks and the limits on
          voting.
        </p>
      </section>
    </article>
  );
}
