// The states of a stream socket (WSK_FLAG_STREAM_SOCKET) and the one table of which call is
// legal in which state. Its first WskListen or WskConnect commits it: from then on the listen
// rules (listen/listen-state.ts) or the connection rules (connection/connection-state.ts) apply,
// which the table says with COMMITTED. A connect that fails leaves it uncommitted (BOUND) again.
import { NTSTATUS, STATUS_INVALID_DEVICE_STATE, STATUS_SUCCESS } from '../kernel/ntstatus';

export const FRESH = 0;
export const BOUND = 1;
/** Committed by WskListen. */
export const LISTENING = 2;
/** Committed by WskConnect (tentatively while the connect is under way). */
export const CONNECTION = 3;
export type StreamState = 0 | 1 | 2 | 3;

export const WSK_BIND = 0;
export const WSK_LISTEN = 1;
export const WSK_CONNECT = 2;
export const WSK_ACCEPT = 3;
/** WskSend, WskReceive, WskDisconnect, WskRelease. */
export const WSK_DATA = 4;
export const WSK_GET_LOCAL_ADDRESS = 5;
export const WSK_GET_REMOTE_ADDRESS = 6;
/** SO_WSK_EVENT_CALLBACK. */
export const WSK_EVENTS = 7;
export type StreamCall = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

const OK = STATUS_SUCCESS;
const IDS = STATUS_INVALID_DEVICE_STATE;
/** The committed role's own table decides. */
export const COMMITTED = -1;
const ROLE = COMMITTED;

// prettier-ignore
const RULES: readonly (readonly NTSTATUS[])[] = [
  //                         FRESH BOUND LISTENING CONNECTION
  /* WskBind             */ [OK,   IDS,  IDS,      IDS],
  /* WskListen           */ [IDS,  OK,   IDS,      IDS],
  /* WskConnect          */ [IDS,  OK,   IDS,      ROLE],
  /* WskAccept           */ [IDS,  IDS,  ROLE,     IDS],
  /* data calls          */ [IDS,  IDS,  IDS,      ROLE],
  /* WskGetLocalAddress  */ [IDS,  OK,   OK,       ROLE],
  /* WskGetRemoteAddress */ [IDS,  IDS,  IDS,      ROLE],
  /* events              */ [IDS,  IDS,  ROLE,     ROLE],
];

/** STATUS_SUCCESS, the status a wrong-state call completes with, or COMMITTED. */
export function streamRule(call: StreamCall, state: StreamState): NTSTATUS {
  return RULES[call][state];
}
