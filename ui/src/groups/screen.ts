// The group screen's two halves, loaded together as one chunk (see lib/lazy.ts).
export { default as GroupsSide } from "./GroupsSide.svelte";
export { default as GroupsPane } from "./GroupsPane.svelte";
