// wsk.h: WSK's constants, structures, dispatch tables and function-pointer types, named and
// valued as in C. Two files, so that each reads in one sitting: wsk-base.ts (scalar types,
// constants, plain structures) and wsk-dispatch.ts (the socket object, the dispatch tables and
// the PFN_WSK_* types, which refer to each other).
export * from './wsk-base';
export * from './wsk-dispatch';
