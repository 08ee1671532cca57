// A case as text that reads as a call list and pastes back as JSON (--replay-file).
export function formatCase(acts: unknown[], indent: string): string {
  if (!Array.isArray(acts)) return indent + JSON.stringify(acts);
  const lines = acts.map((a, i) => `${indent}${JSON.stringify(a)}${i < acts.length - 1 ? ',' : ''}`);
  return `${indent}[\n${lines.join('\n')}\n${indent}]`;
}
