import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { SiteHeader } from './components/site-header.tsx';
import { queryClient } from './lib/trpc.ts';
import { LeaderboardRoute } from './routes/leaderboard.tsx';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SiteHeader />
      <main className="container">
        <LeaderboardRoute />
      </main>
    </QueryClientProvider>
  </StrictMode>,
);
