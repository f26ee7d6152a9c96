export function SiteHeader() {
  return (
    <header className="site-header">
      <div className="container">
        <p className="site-title">
          <span className="site-logo" aria-hidden="true">
            ▲
          </span>
          LLM Popularity Tracker
        </p>
        <p className="site-tagline">Which language models do people like? Vote them up or down.</p>
      </div>
    </header>
  );
}
