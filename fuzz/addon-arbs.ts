import fc from 'fast-check';
export const addonCaseArb: fc.Arbitrary<unknown[]> = fc.constant([]);
