// Types for hostile-corpus.mjs, so the UI's unit tests can use the same corpus.
export type Payload = { id: string; cls: string; payload: string; js: string };
export type HostileUrl = { id: string; cls: "url"; url: string };
export function canary(id: string): string;
export const corpus: Payload[];
export const hostileUrls: HostileUrl[];
export const classes: string[];
