// Whether the contact panel is open: one choice for every conversation, kept in localStorage
// so it survives switching conversations and restarting the app.
const KEY = "parley.contactPanel";

function stored(): boolean {
  try {
    return localStorage.getItem(KEY) !== "closed";
  } catch {
    return true;
  }
}

const state = $state({ open: stored() });

export const contactPanel = {
  get open(): boolean {
    return state.open;
  },
  set(open: boolean): void {
    state.open = open;
    try {
      localStorage.setItem(KEY, open ? "open" : "closed");
    } catch {
      // Private mode or a full quota: the choice lasts for this session only.
    }
  },
  toggle(): void {
    this.set(!state.open);
  },
  /** Read the stored choice again (tests start from a clean storage). */
  reload(): void {
    state.open = stored();
  },
};
