// The two targets a child can fuzz: the public API (lib) and the raw addon. They run in
// separate processes: the addon target replaces the event handler that lib relies on.
import fc from 'fast-check';
import type { Finding } from './findings';

export type Target = 'api' | 'addon';

export function caseArb(target: Target): fc.Arbitrary<unknown> {
  if (target === 'api') return (require('./api-arbs') as typeof import('./api-arbs')).apiCaseArb;
  return (require('./addon-arbs') as typeof import('./addon-arbs')).addonCaseArb;
}

/** Modules are loaded on first use, so that an addon child never loads lib's WSK layer. */
export function runCase(target: Target, value: unknown): Promise<Finding[]> {
  if (target === 'api') return (require('./api-case') as typeof import('./api-case')).runApiCase(value as never);
  return (require('./addon-run') as typeof import('./addon-run')).runAddonCase(value as never);
}
