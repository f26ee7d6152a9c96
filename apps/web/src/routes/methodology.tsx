import { Link } from '@tanstack/react-router';

import { usePageTitle } from '../lib/page-title.ts';

/** `/methodology`: how ranks, ties, the Wilson column, live updates and vote limits work. */
export function MethodologyPage() {
  usePageTitle('How ranking works');
  return (
    <article className="prose">
      <p className="back-link">
        <Link to="/">← Leaderboard</Link>
      </p>
      <div className="page-heading">
        <h1 tabIndex={-1}>How ranking works</h1>
        <p className="muted">
          What the numbers on the leaderboard mean, and the rules behind them.
        </p>
      </div>

      <section aria-labelledby="m-votes">
        <h2 id="m-votes">Votes</h2>
        <p>
          Anyone can vote a model up (▲) or down (▼), one vote per model. Press your vote again to
          take it back, or press the other button to change it. Your browser keeps a cookie so the
          site knows which votes are yours; there is no account.
        </p>
      </section>

      <section aria-labelledby="m-score">
        <h2 id="m-score">Score and rank</h2>
        <p>
          A model’s <strong>score</strong> is its up-votes minus its down-votes. The leaderboard
          ranks models by score, highest first.
        </p>
        <ul>
          <li>
            <strong>Ties share a rank.</strong> Two models with the same score get the same rank,
            and the next rank is skipped: 1, 1, 3. Tied models are listed by name, which says
            nothing about who is ahead; the table marks a shared rank with “=”.
          </li>
          <li>
            <strong>No votes, no rank.</strong> A model nobody has voted on yet has no rank. It is
            listed after the ranked models under “No votes yet”, by name, until its first vote.
          </li>
          <li>
            <strong>Categories.</strong> With a category picked, the Rank column shows the rank
            within that category. Search, vendor and “open weights only” only hide rows: the ranks
            stay those of the whole board.
          </li>
          <li>
            <strong>Arrows.</strong> ▲3 or ▼2 beside a rank is the change over the last 24 hours (on
            other boards, since you opened the page). A model that had no rank then, or has none
            now, gets no arrow.
          </li>
        </ul>
      </section>

      <section aria-labelledby="m-wilson">
        <h2 id="m-wilson">The Wilson column</h2>
        <p>
          A score favours models with many votes; a plain share of up-votes favours luck (two votes,
          both up, is 100%). The <strong>Wilson</strong> column is the share of voters who like a
          model, counted cautiously: the lowest share we can be 95% sure of, given how many votes it
          has. “62%” means “at least 62% of voters like it”. Few votes keep it low until more people
          agree. Sort by “Wilson lower bound” to rank on it instead; the same tie rules apply.
        </p>
      </section>

      <section aria-labelledby="m-confidence">
        <h2 id="m-confidence">How sure a rank is, trending and the past</h2>
        <ul>
          <li>
            <strong>Rank ranges.</strong> “2–5” under a rank means the model could rank anywhere
            from 2 to 5 at 95 % confidence. Each model’s approval has a 95 % interval (the Wilson
            interval; on the score board, the score at both ends of it); a model is clearly better
            than another when its whole interval lies above the other’s. Its best rank is 1 plus the
            models clearly better, its worst the ranked models minus those clearly worse. No range
            is drawn when only one rank is possible. The model page draws the interval as a bar.
          </li>
          <li>
            <strong>Provisional.</strong> A model needs a minimum number of votes (20 unless the
            site says otherwise) before it is ranked. Until then it is listed as “Provisional · 7 of
            20 votes”, after the ranked models.
          </li>
          <li>
            <strong>Trending.</strong> The score with every vote weighted by its age: a vote counts
            half after a few hours (the half-life), a quarter after twice that. It ranks what people
            are voting for now.
          </li>
          <li>
            <strong>The past.</strong> “Board as of” shows the leaderboard as it stood at the end of
            a past hour, from the hourly history; “Biggest movers” compares the latest hour with 24
            hours or 7 days earlier.
          </li>
        </ul>
      </section>

      <section aria-labelledby="m-live">
        <h2 id="m-live">Live updates</h2>
        <p>
          The leaderboard updates by itself a few times a second while votes come in. Your own vote
          counts at once: the numbers shown after you vote are the server’s count, including your
          vote. Ranks follow within a second.
        </p>
        <p>
          While your pointer is over the table (or you move through it with the keyboard), the order
          of the rows is paused so nothing jumps away from under you; the numbers keep changing. A
          row whose rank no longer fits its place is marked ↑ or ↓, and a line above the table says
          the order is paused, with a button to show the new order.
        </p>
        <p>
          The badge at the top right says how the page is connected: <em>Live</em> (pushed updates),{' '}
          <em>Reconnecting…</em>, or <em>Polling</em> (re-read every 5 seconds). The number beside
          it is the round trip: how long a message takes to reach the server and come back.
        </p>
      </section>

      <section aria-labelledby="m-hidden">
        <h2 id="m-hidden">Hidden results</h2>
        <p>
          Some visitors see a model’s score only after voting on it, so the numbers don’t sway their
          vote: the board then says <em>Vote to see</em> in place of the tally, and the model page
          hides its tally and history until you vote. Ranks and the order stay as they are, and your
          vote counts exactly the same. We try this on part of our visitors to learn whether it
          changes how people vote.
        </p>
      </section>

      <section aria-labelledby="m-limits">
        <h2 id="m-limits">Limits</h2>
        <p>
          To keep the count fair, votes are limited per browser and per network: by default 60 a
          minute from each, and at most 10 new votes an hour on one model from one network (changing
          or taking back a vote is never limited). A vote over a limit is not counted, and the page
          says when you can try again. The history charts keep one point per hour.
        </p>
      </section>
    </article>
  );
}
