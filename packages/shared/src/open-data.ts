/**
 * Open data (issue 15): the licence of the daily public dumps, written by the worker's
 * `public-dump` job and served by the api as stored.
 */
export const PUBLIC_DATA_LICENCE = {
  id: 'CC-BY-4.0',
  name: 'Creative Commons Attribution 4.0 International',
  url: 'https://creativecommons.org/licenses/by/4.0/',
} as const;

export type PublicDataLicence = typeof PUBLIC_DATA_LICENCE;
