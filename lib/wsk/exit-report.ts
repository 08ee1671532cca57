// What a process leaves open when it exits: WSK sockets with their pending IRPs, client-level
// IRPs, a WskDeregister that never completed. Printed to stderr from process 'exit', the way a
// driver unloading with leaks is reported; nothing when everything was closed.
import { IRP, irpWhere } from '../kernel/irp';
import type { ClientState } from './client';
import { CATEGORY_NAMES } from '../socket/socket';

/** "WskAccept x2, WskReceive": the functions the IRPs are pending in, counted. */
function byFunction(irps: Iterable<IRP>): string {
  const counts = new Map<string, number>();
  for (const irp of irps) counts.set(irpWhere(irp), (counts.get(irpWhere(irp)) ?? 0) + 1);
  return [...counts].map(([where, n]) => (n > 1 ? `${where} x${n}` : where)).join(', ');
}

function plural(n: number, what: string): string {
  return `${n} ${what}${n === 1 ? '' : 's'}`;
}

/** What WskDeregister still waits for, or why it never started. */
function deregisterState(c: ClientState): string {
  if (!c.deregistering) return 'WskDeregister not called';
  const waits: string[] = [];
  if (c.captures > 0) waits.push(`${plural(c.captures, 'NPI capture')} not released`);
  if (c.sockets.size > 0) waits.push(plural(c.sockets.size, 'socket'));
  if (c.pendingIrps.size > 0) waits.push(plural(c.pendingIrps.size, 'IRP'));
  return `WskDeregister never completed (it waits for ${waits.join(', ')})`;
}

/** Whether anything of this registration is still open (a deregistration still waiting counts). */
function isOpen(c: ClientState): boolean {
  return c.sockets.size > 0 || c.pendingIrps.size > 0 || (c.deregistering && c.captures > 0);
}

/** The report for these registrations; '' when nothing is open. */
export function exitReport(clients: Iterable<ClientState>): string {
  const lines: string[] = [];
  for (const c of clients) {
    if (!isOpen(c)) continue;
    lines.push(`  registration ${c.id}, ${deregisterState(c)}:`);
    for (const s of c.sockets) {
      const pending = s.pendingIrps();
      const name = `${CATEGORY_NAMES[s.category]} socket`;
      lines.push(pending.length > 0 ? `    ${name}, pending: ${byFunction(pending)}` : `    ${name}, nothing pending`);
    }
    if (c.pendingIrps.size > 0) lines.push(`    pending on the client: ${byFunction(c.pendingIrps)}`);
  }
  if (lines.length === 0) return '';
  return ['node-wsk: exiting with WSK objects still open (a driver unloading like this would leak them):', ...lines, ''].join('\n');
}
