#!/usr/bin/env node
// Which exports of the package's public entries carry a doc comment (npm run docs:coverage).
// typedoc's own check (validation.notDocumented) wants a comment on every constant; the rule
// here is the project's (docs/PORTING.md): every function, type and class has its own, and a
// constant may share the one at the head of its group — a run of exported declarations with no
// blank line between them (`/** WSK_FLAG_*: socket categories (wsk.h) */` above the first).
//
//   node scripts/doc-coverage.js            counts, then every undocumented name; exit 1 if any
//   node scripts/doc-coverage.js --summary  counts only (exit 1 still, if any is missing)
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const ts = require('typescript');
const { parseArgs } = require('node:util');

const root = path.join(__dirname, '..');
const { values: args } = parseArgs({ options: { summary: { type: 'boolean', default: false } } });

// The public entries: the package root, and node-wsk/promises once it exists.
const entries = ['lib/index.ts', 'lib/promises/index.ts']
  .map((f) => path.join(root, f))
  .filter((f) => fs.existsSync(f));

const program = ts.createProgram(entries, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS, strict: true });
const checker = program.getTypeChecker();

/** The statement a declaration's doc comment sits on (a `const` is documented on its statement). */
function statementOf(decl) {
  return ts.isVariableDeclaration(decl) ? decl.parent.parent : decl;
}

function hasDocComment(node) {
  const text = node.getSourceFile().getFullText();
  const ranges = ts.getLeadingCommentRanges(text, node.getFullStart()) ?? [];
  return ranges.some((r) => text.startsWith('/**', r.pos) && !text.startsWith('/**/', r.pos));
}

/** The first statement of the run `stmt` belongs to: statements with no blank line between. */
function groupHead(stmt) {
  const file = stmt.getSourceFile();
  const text = file.getFullText();
  const list = stmt.parent.statements;
  let i = list.indexOf(stmt);
  while (i > 0) {
    const prev = list[i - 1];
    const between = text.slice(prev.getEnd(), list[i].getStart(file));
    if (/\n[ \t]*\n/.test(between)) break;
    i--;
  }
  return list[i];
}

function kindOf(decl) {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return 'class';
  if (ts.isInterfaceDeclaration(decl) || ts.isTypeAliasDeclaration(decl) || ts.isEnumDeclaration(decl)) return 'type';
  if (ts.isVariableDeclaration(decl)) {
    const init = decl.initializer;
    return init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) ? 'function' : 'constant';
  }
  return 'other';
}

const rows = [];
const seen = new Set();
for (const entry of entries) {
  const file = program.getSourceFile(entry);
  const moduleSymbol = checker.getSymbolAtLocation(file);
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const decls = symbol.declarations ?? [];
    if (decls.length === 0 || seen.has(symbol)) continue;
    seen.add(symbol);
    const kind = kindOf(decls[0]);
    const own = decls.some((d) => hasDocComment(statementOf(d)));
    const grouped = !own && kind === 'constant' && hasDocComment(groupHead(statementOf(decls[0])));
    const where = path.relative(root, decls[0].getSourceFile().fileName);
    rows.push({ name: exported.name, kind, where, documented: own || grouped, grouped });
  }
}

const kinds = ['function', 'type', 'class', 'constant', 'other'];
let missing = 0;
console.log(`exports of ${entries.map((e) => path.relative(root, e)).join(', ')}:`);
for (const kind of kinds) {
  const of = rows.filter((r) => r.kind === kind);
  if (of.length === 0) continue;
  const documented = of.filter((r) => r.documented).length;
  const grouped = of.filter((r) => r.grouped).length;
  missing += of.length - documented;
  console.log(`  ${kind.padEnd(9)} ${String(documented).padStart(4)} of ${String(of.length).padStart(4)} documented` +
    (grouped ? ` (${grouped} by their group's comment)` : ''));
}
const total = rows.filter((r) => r.documented).length;
console.log(`  ${'all'.padEnd(9)} ${String(total).padStart(4)} of ${String(rows.length).padStart(4)} documented`);
if (missing > 0 && !args.summary) {
  console.log('\nundocumented:');
  for (const r of rows.filter((x) => !x.documented)) console.log(`  ${r.where}  ${r.kind}  ${r.name}`);
}
process.exitCode = missing > 0 ? 1 : 0;
