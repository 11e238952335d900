// The few names of the xsc1 format (see format.ts) that the default codec's start part
// needs too: kept apart so that bundles keep the rest of the format with the code using it.

/** The format's id, stored in every envelope of `taggedJsonCodec`. */
export const TAGGED_JSON_ID = 'xsc1';
/** "~": a string that starts with it is a marker, or is written with one more. */
export const TILDE = 126;
/** The one key never written as it is (JSON.parse would set a prototype with it). */
export const UNSAFE_KEY = '__proto__';
