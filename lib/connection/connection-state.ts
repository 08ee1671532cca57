// The states of a connection (a connection socket, or a stream socket committed to a
// connection) and the one table of which call is legal in which state, with the status a call
// gets in a state where it is not. Everything a reader needs to know about WSK's connection
// rules is on this page; the code that moves between states is in connection.ts.
//
//   FRESH --WskBind--> BOUND --WskConnect--> CONNECTING --done--> CONNECTED
//                        ^  \____inline_________________________/   |  \
//                        |                                          |   WskDisconnect
//                        +--- connect failed (Linux may connect      |   (graceful)
//                             again) <-- CONNECTING --cancel--> DEAD  v
//   CONNECTED, SEND_CLOSED --reset or send error--> FAILED      SEND_CLOSED
//   CONNECTED, SEND_CLOSED, FAILED --WskDisconnect(ABORTIVE)--> ABORTED
//   SEND_CLOSED --the disconnect cancelled before its FIN--> CONNECTED
//
// The peer's FIN is not a state: receives then complete with 0 bytes, in any state that
// allows them. WskCloseSocket is legal in every state (socket/socket.ts).
import {
  NTSTATUS,
  STATUS_CONNECTION_ABORTED,
  STATUS_CONNECTION_ACTIVE,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_PIPE_DISCONNECTED,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';

export const FRESH = 0;
export const BOUND = 1;
export const CONNECTING = 2;
export const CONNECTED = 3;
/** A graceful WskDisconnect is queued or done: no more sends; receives go on. */
export const SEND_CLOSED = 4;
/** The connection broke (a reset, a send error): `failure` is the status. */
export const FAILED = 5;
/** WskDisconnect(WSK_FLAG_ABORTIVE) ran: the peer saw a reset. */
export const ABORTED = 6;
/** A connect was cancelled: the OS attempt cannot be taken back; only close is useful. */
export const DEAD = 7;
export type ConnectionState = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export const STATE_NAMES = ['FRESH', 'BOUND', 'CONNECTING', 'CONNECTED', 'SEND_CLOSED', 'FAILED', 'ABORTED', 'DEAD'] as const;

// The calls the table rules on (rows).
export const WSK_BIND = 0;
export const WSK_CONNECT = 1;
export const WSK_SEND = 2;
export const WSK_RECEIVE = 3;
/** WskDisconnect, graceful. */
export const WSK_DISCONNECT = 4;
/** WskDisconnect with WSK_FLAG_ABORTIVE. */
export const WSK_ABORT = 5;
export const WSK_GET_LOCAL_ADDRESS = 6;
export const WSK_GET_REMOTE_ADDRESS = 7;
/** SO_WSK_EVENT_CALLBACK and the backlog IOCTLs (SIO_WSK_QUERY_*_BACKLOG). */
export const WSK_EVENTS = 8;
export type ConnectionCall = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

const OK = STATUS_SUCCESS;
const IDS = STATUS_INVALID_DEVICE_STATE;
const ACTIVE = STATUS_CONNECTION_ACTIVE;
const ABORT = STATUS_CONNECTION_ABORTED;
/** Winsock's WSAESHUTDOWN: a send after a graceful disconnect. */
const SHUT = STATUS_PIPE_DISCONNECTED;
/** The status the connection failed with. */
const FAILURE = -1;

// prettier-ignore
const RULES: readonly (readonly NTSTATUS[])[] = [
  //                        FRESH BOUND CONNECTING CONNECTED SEND_CLOSED FAILED   ABORTED DEAD
  /* WskBind            */ [OK,   IDS,  IDS,       IDS,      IDS,        IDS,     IDS,    IDS],
  /* WskConnect         */ [IDS,  OK,   IDS,       ACTIVE,   ACTIVE,     ACTIVE,  ACTIVE, IDS],
  /* WskSend            */ [IDS,  IDS,  IDS,       OK,       SHUT,       FAILURE, ABORT,  IDS],
  /* WskReceive         */ [IDS,  IDS,  IDS,       OK,       OK,         OK,      ABORT,  IDS],
  /* WskDisconnect      */ [IDS,  IDS,  IDS,       OK,       SHUT,       FAILURE, ABORT,  IDS],
  /* ... ABORTIVE       */ [IDS,  IDS,  IDS,       OK,       OK,         OK,      ABORT,  IDS],
  /* WskGetLocalAddress */ [IDS,  OK,   OK,        OK,       OK,         OK,      IDS,    OK],
  /* WskGetRemoteAddress*/ [IDS,  IDS,  IDS,       OK,       OK,         OK,      IDS,    IDS],
  /* events, backlog    */ [IDS,  IDS,  IDS,       OK,       OK,         OK,      OK,     IDS],
];

/**
 * STATUS_SUCCESS when `call` is legal in `state`, else the status it completes with (a FAILED
 * connection's sends and disconnects get the status it failed with, `failure`).
 */
export function connectionRule(call: ConnectionCall, state: ConnectionState, failure: NTSTATUS): NTSTATUS {
  const status = RULES[call][state];
  return status === FAILURE ? failure : status;
}

/** Whether a connection in `state` is up (bytes may still move at least one way). */
export function isEstablished(state: ConnectionState): boolean {
  return state >= CONNECTED && state <= FAILED;
}

/** Whether it connected at some point (established, or aborted since; not a cancelled attempt). */
export function wasConnected(state: ConnectionState): boolean {
  return state >= CONNECTED && state <= ABORTED;
}
