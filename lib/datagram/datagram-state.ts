// The states of a datagram socket and the one table of which call is legal in which state.
// A datagram socket does nothing before WskBind; after it everything is legal, and the fixed
// addresses (SIO_WSK_SET_REMOTE_ADDRESS / _SENDTO_ADDRESS) are options, not states.
import { NTSTATUS, STATUS_INVALID_DEVICE_STATE, STATUS_SUCCESS } from '../kernel/ntstatus';

export const FRESH = 0;
export const BOUND = 1;
export type DatagramState = 0 | 1;

export const WSK_BIND = 0;
/** WskSendTo, WskSendMessages. */
export const WSK_SEND = 1;
export const WSK_RECEIVE_FROM = 2;
/** Enabling WskReceiveFromEvent (disabling is legal in any state). */
export const WSK_ENABLE_EVENT = 3;
/** SIO_WSK_SET_REMOTE_ADDRESS, SIO_WSK_SET_SENDTO_ADDRESS. */
export const WSK_FIXED_ADDRESS = 4;
export const WSK_GET_LOCAL_ADDRESS = 5;
export type DatagramCall = 0 | 1 | 2 | 3 | 4 | 5;

const OK = STATUS_SUCCESS;
const IDS = STATUS_INVALID_DEVICE_STATE;

// prettier-ignore
const RULES: readonly (readonly NTSTATUS[])[] = [
  //                         FRESH BOUND
  /* WskBind             */ [OK,   IDS],
  /* WskSendTo, ...      */ [IDS,  OK],
  /* WskReceiveFrom      */ [IDS,  OK],
  /* enable the event    */ [IDS,  OK],
  /* fixed addresses     */ [IDS,  OK],
  /* WskGetLocalAddress  */ [IDS,  OK],
];

/** STATUS_SUCCESS when `call` is legal in `state`, else the status it completes with. */
export function datagramRule(call: DatagramCall, state: DatagramState): NTSTATUS {
  return RULES[call][state];
}
