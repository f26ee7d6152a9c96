import { OpenFeature, OpenFeatureProvider } from '@openfeature/react-sdk';
import { QueryClientProvider } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { browserSignals, flagProvider, queryClient } from './lib/trpc.ts';
import { router } from './router.tsx';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

// Not awaited: the page renders at once with every flag at its default (off), and components
// re-render when the voter's evaluation arrives.
void OpenFeature.setProvider(flagProvider);

// The optional fingerprint for votes (issue 13): after the first paint, when the browser is idle.
browserSignals.startWhenIdle();

createRoot(root).render(
  <StrictMode>
    <OpenFeatureProvider>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </OpenFeatureProvider>
  </StrictMode>,
);
