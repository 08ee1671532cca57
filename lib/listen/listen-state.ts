// The states of a listening socket (and of a stream socket committed to listening) and the one
// table of which call is legal in which state. A WSK listening socket listens as soon as WskBind
// binds it, so there are two states. SO_CONDITIONAL_ACCEPT is an option, not a state: it must
// be set before bind (listen.ts), and WskInspectComplete needs it on.
import { NTSTATUS, STATUS_INVALID_DEVICE_STATE, STATUS_SUCCESS } from '../kernel/ntstatus';

export const FRESH = 0;
export const LISTENING = 1;
/** It can no longer accept (the process out of descriptors, the socket failed): close it. */
export const FAILED = 2;
export type ListenState = 0 | 1 | 2;

export const WSK_BIND = 0;
export const WSK_ACCEPT = 1;
export const WSK_GET_LOCAL_ADDRESS = 2;
/** SO_WSK_EVENT_CALLBACK. */
export const WSK_EVENTS = 3;
export type ListenCall = 0 | 1 | 2 | 3;

const OK = STATUS_SUCCESS;
const IDS = STATUS_INVALID_DEVICE_STATE;
/** The status the listener failed with. */
const FAIL = -1;

// prettier-ignore
const RULES: readonly (readonly NTSTATUS[])[] = [
  //                        FRESH LISTENING FAILED
  /* WskBind            */ [OK,   IDS,      IDS],
  /* WskAccept          */ [IDS,  OK,       FAIL],
  /* WskGetLocalAddress */ [IDS,  OK,       OK],
  /* events             */ [IDS,  OK,       OK],
];

/** STATUS_SUCCESS when `call` is legal in `state`, else the status it completes with. */
export function listenRule(call: ListenCall, state: ListenState, failure: NTSTATUS = STATUS_SUCCESS): NTSTATUS {
  const rule = RULES[call][state];
  return rule === FAIL ? failure : rule;
}
