// Artillery hooks for vote-flow.yml (CommonJS: artillery 2.0.21 loads processors with require).
'use strict';

/** Picks a random model from the captured rankings.list rows, and an up or down vote. */
function pickModel(context, _events, done) {
  const rows = Array.isArray(context.vars.rankings) ? context.vars.rankings : [];
  const row = rows[Math.floor(Math.random() * rows.length)];
  if (!row) return done(new Error('rankings.list returned no rows to vote on'));
  context.vars.llmId = row.llm && row.llm.id;
  if (!context.vars.llmId) return done(new Error('a rankings.list row without llm.id'));
  context.vars.value = Math.random() < 0.8 ? 1 : -1;
  return done();
}

/** Counts vote outcomes by kind, so 429s (rate limits) are told apart from failures. */
function countVoteOutcome(_req, res, _context, events, done) {
  const code = res.statusCode;
  const outcome = code === 200 ? 'accepted' : code === 429 ? 'rate_limited' : `status_${code}`;
  events.emit('counter', `vote.${outcome}`, 1);
  return done();
}

module.exports = { pickModel, countVoteOutcome };
