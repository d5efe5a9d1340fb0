// The inbox column: views, sorting, rows and message search.
export const inbox = {
  "inbox.view.mine": "Mine",
  "inbox.view.unassigned": "Unassigned",
  "inbox.view.all": "All",
  "inbox.view.closed": "Closed",
  "inbox.view.spam": "Spam",
  "inbox.views": "Views",
  "inbox.empty": "Nothing here.",

  "inbox.search": "Search messages",
  "inbox.sortTitle": "Sort order",
  "inbox.sort": "Sort",
  "inbox.sort.newest": "Newest",
  "inbox.sort.oldest": "Oldest",
  "inbox.sort.unreadFirst": "Unread first",

  "inbox.row.unread": "{count} unread",
  "inbox.row.unassigned": "Unassigned",
  "inbox.row.you": "You",

  "inbox.platform.kommunicate": "Kommunicate",
  "inbox.platform.wapikit": "WhatsApp",
  "inbox.row.account": "{platform} · {name}",
  "inbox.scope": "Show conversations of",
  "inbox.scope.all": "All accounts",
  "inbox.scope.accounts": "Accounts",
  "inbox.scope.platforms": "Platforms",
  "inbox.scope.account": "{name} · {platform}",
  "inbox.scope.platform": "Every {platform} account",

  "inbox.results": "Search results",
  "inbox.searching": "Searching…",
  "inbox.noMatches": "No messages match",
  "inbox.matches": "{count} matching message",
  "inbox.matches_other": "{count} matching messages",
} as const;
