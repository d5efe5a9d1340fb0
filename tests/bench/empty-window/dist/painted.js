// As the app does: the page is in the window, show it; then two frames (the first lays the
// page out, the second runs once it is painted) and report.
const invoke = window.__TAURI_INTERNALS__.invoke;
invoke("shown");
requestAnimationFrame(() => requestAnimationFrame(() => invoke("painted")));
