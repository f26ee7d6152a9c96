import { useState } from 'react';

interface BadgeSnippetProps {
  id: string;
  name: string;
}

/**
 * The embeddable badge (`/badge/<id>.svg`, rank and score, served by the api) with its Markdown
 * and HTML snippets to copy: absolute URLs of this site, linking to the model page.
 */
export function BadgeSnippet({ id, name }: BadgeSnippetProps) {
  const origin = window.location.origin;
  const badge = `${origin}/badge/${encodeURIComponent(id)}.svg`;
  const page = `${origin}/models/${encodeURIComponent(id)}`;
  const alt = `${name} on the LLM leaderboard`;
  const snippets: Array<[string, string]> = [
    ['Markdown', `[![${alt}](${badge})](${page})`],
    ['HTML', `<a href="${page}"><img src="${badge}" alt="${alt}"></a>`],
  ];
  return (
    <section className="badge-embed" aria-labelledby="badge-heading" data-testid="badge-snippet">
      <h2 id="badge-heading">Embed its badge</h2>
      <p className="badge-preview">
        <img src={badge} alt={alt} height={20} />
      </p>
      {snippets.map(([kind, text]) => (
        <Snippet key={kind} kind={kind} text={text} />
      ))}
    </section>
  );
}

function Snippet({ kind, text }: { kind: string; text: string }) {
  const [copied, setCopied] = useState<'yes' | 'no' | null>(null);
  const id = `badge-${kind.toLowerCase()}`;
  return (
    <div className="snippet">
      <label htmlFor={id}>{kind}</label>
      <div className="snippet-row">
        <input
          id={id}
          readOnly
          value={text}
          spellCheck={false}
          onFocus={(e) => e.currentTarget.select()}
          data-snippet={kind.toLowerCase()}
        />
        <button
          type="button"
          className="button button-quiet"
          onClick={() => {
            navigator.clipboard.writeText(text).then(
              () => setCopied('yes'),
              () => setCopied('no'),
            );
          }}
        >
          Copy {kind}
        </button>
      </div>
      <span role="status" className="snippet-status muted">
        {copied === 'yes'
          ? 'Copied.'
          : copied === 'no'
            ? 'Couldn’t copy: select the text and copy it.'
            : ''}
      </span>
    </div>
  );
}
