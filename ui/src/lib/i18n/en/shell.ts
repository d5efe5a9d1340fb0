// The window around the screens: the rail, the status bar and the connection state.
export const shell = {
  "shell.startFailed": "Parley could not start",
  "shell.inbox": "Inbox",
  "shell.settings": "Settings",
  "shell.youOnline": "You are online",
  "shell.youAway": "You are away",
  "shell.storeError": "The local cache reported a problem: {message}",
  "shell.noConversation": "No conversation open",

  "shell.connection.online": "Online",
  "shell.connection.connecting": "Connecting…",
  "shell.connection.retryIn": "Offline · reconnecting in {seconds}s",
  "shell.connection.retrying": "Offline · reconnecting…",
  "shell.connection.stopped": "Connection stopped",
  "shell.queued": "{count} queued",
  "shell.queuedTitle": "Messages waiting in the send queue",
  "shell.insecure": "Real-time link not encrypted",
  "shell.insecureTitle": "Messages travel unencrypted between this computer and the real-time server.",
} as const;
