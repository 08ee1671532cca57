import type { Finding } from './findings';
export async function runAddonCase(_acts: unknown[]): Promise<Finding[]> {
  return [];
}
