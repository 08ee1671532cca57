// Cached security descriptors (WSK_CACHE_SD, WSK_RELEASE_SD, SO_WSK_SECURITY, https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_client,
// §5.7): opaque reference-counted handles, and the one each socket was given.
import type { PVOID } from './wsk-base';

/**
 * A cached security descriptor (what WSK_CACHE_SD and an SO_WSK_SECURITY get hand out): an
 * opaque object that refers to the caller's descriptor, live until WSK_RELEASE_SD drops its
 * last reference. WskSocket, WskSocketConnect and SO_WSK_SECURITY accept only live ones.
 */
export class CachedSecurityDescriptor {
  declare readonly __brand_CACHED_SD: never;
  /** The descriptor given to WSK_CACHE_SD. */
  declare readonly descriptor: object;
}

const refCounts = new WeakMap<CachedSecurityDescriptor, { refs: number }>();

export function cacheSd(descriptor: object): CachedSecurityDescriptor {
  const sd = Object.create(CachedSecurityDescriptor.prototype) as CachedSecurityDescriptor;
  Object.defineProperty(sd, 'descriptor', { value: descriptor, enumerable: true });
  Object.freeze(sd);
  refCounts.set(sd, { refs: 1 });
  return sd;
}

/** The descriptor WSK applies when none is given: it allows no sharing of the local address. */
const DEFAULT_SD = Object.freeze({ default: true });

/** A cached copy of the default descriptor (an SO_WSK_SECURITY get on a socket with none). */
export function cacheDefaultSd(): CachedSecurityDescriptor {
  return cacheSd(DEFAULT_SD);
}

/** Whether `sd` is a cached descriptor not yet released. */
export function isLiveCachedSd(sd: unknown): sd is CachedSecurityDescriptor {
  const r = sd instanceof CachedSecurityDescriptor ? refCounts.get(sd) : undefined;
  return r !== undefined && r.refs > 0;
}

/** WSK_RELEASE_SD: drops one reference to a live cached descriptor. */
export function releaseSdReference(sd: CachedSecurityDescriptor): void {
  refCounts.get(sd)!.refs--;
}

/** Another reference to a live cached descriptor (an SO_WSK_SECURITY get). */
export function addSdReference(sd: CachedSecurityDescriptor): CachedSecurityDescriptor {
  refCounts.get(sd)!.refs++;
  return sd;
}

/** The descriptor each socket was given (WskSocket or SO_WSK_SECURITY); none means WSK's default. */
const socketSd = new WeakMap<object, CachedSecurityDescriptor>();

export function setSocketSecurity(socket: object, sd: CachedSecurityDescriptor | null): void {
  if (sd) socketSd.set(socket, sd);
  else socketSd.delete(socket);
}

/** The cached descriptor applied to a socket, or null (the default, which allows no sharing). */
export function socketSecurity(socket: object): CachedSecurityDescriptor | null {
  return socketSd.get(socket) ?? null;
}

/** C's `&sd`: a one-element holder ({0: sd} or [sd]); reads element 0. */
export function pointee(buffer: PVOID | null): unknown {
  if (buffer === null || buffer === undefined || typeof buffer !== 'object') return undefined;
  return (buffer as { 0?: unknown })[0];
}
