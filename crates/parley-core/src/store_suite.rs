//! One behaviour suite for every [`Store`] implementation (like matrix-rust-sdk's store
//! integration tests). Each scenario gets a fresh store from the factory and panics with a
//! clear message on the first difference.
//!
//! ```ignore
//! parley_core::store_suite::run_all(|| async { MyStore::open_temp().await }).await;
//! ```

use std::future::Future;

use crate::model::{
    Contact, Conversation, ConversationStatus, DeliveryState, Direction, InboxSort, InboxView,
    Message, Metadata,
};
use crate::server::{Endpoints, SANDBOX_HTTP, SANDBOX_MQTT};
use crate::store::{Account, CannedResponse, Change, InboxQuery, OutboxItem, Store};

pub const ACCOUNT: &str = "app:agent@x";
pub const ME: &str = "agent@x";

pub async fn run_all<S, F, Fut>(make: F)
where
    S: Store,
    F: Fn() -> Fut,
    Fut: Future<Output = S>,
{
    views_and_counts(make().await).await;
    incoming_message_bumps_unread_once(make().await).await;
    state_never_downgrades(make().await).await;
    timeline_pages_oldest_first(make().await).await;
    search_matches_words_and_prefixes(make().await).await;
    outbox_echo_confirm_and_race(make().await).await;
    outbox_cancel_edit_and_failure(make().await).await;
    outbox_keeps_queue_order_within_one_millisecond(make().await).await;
    cursors_and_drafts(make().await).await;
    unknown_conversation_gets_placeholder(make().await).await;
    conversation_upsert_keeps_newer_activity(make().await).await;
    contacts_and_presence(make().await).await;
    accounts_are_isolated_and_removable(make().await).await;
    read_receipts_upgrade_outgoing(make().await).await;
    a_batch_of_new_messages_ends_like_one_by_one(make().await, make().await).await;
    team_groups_are_in_no_inbox_view(make().await).await;
    groups_list_non_support_groups_by_name(make().await).await;
    customer_history_lists_their_support_conversations(make().await).await;
    find_conversations_by_title_customer_name_and_email(make().await).await;
    canned_responses_save_edit_delete_per_account(make().await).await;
    unified_inbox_merges_accounts_each_with_its_own_me(make().await).await;
    accounts_keep_their_platform(make().await).await;
    clear_cache_keeps_what_the_agent_wrote(make().await).await;
}

pub fn account(id: &str, user: &str) -> Account {
    Account {
        id: id.into(),
        app_key: "app".into(),
        user_id: user.into(),
        display_name: Some("Agent".into()),
        user_key: format!("key-{user}"),
        endpoints: Endpoints {
            chat: SANDBOX_HTTP.into(),
            api: SANDBOX_HTTP.into(),
            services: SANDBOX_HTTP.into(),
            mqtt: SANDBOX_MQTT.into(),
        },
        is_agent: true,
        added_at: 1,
        platform: crate::server::Platform::Kommunicate,
    }
}

pub fn conversation(
    group: i64,
    status: ConversationStatus,
    assignee: Option<&str>,
    at: i64,
) -> Conversation {
    Conversation {
        id: format!("g:{group}"),
        group_id: Some(group),
        client_group_id: Some(group.to_string()),
        title: format!("Customer {group}"),
        group_type: 10,
        status,
        assignee: assignee.map(str::to_owned),
        customer_id: Some(format!("cust{group}")),
        image_url: None,
        members: Vec::new(),
        metadata: Metadata::new(),
        created_at: at,
        last_activity_at: at,
        last_message_preview: None,
        unread: 0,
        muted_until: None,
    }
}

pub fn incoming(group: i64, key: &str, at: i64, text: &str) -> Message {
    Message {
        key: key.into(),
        conversation_id: format!("g:{group}"),
        sender_id: format!("cust{group}"),
        created_at: at,
        text: text.into(),
        content_type: 0,
        metadata: Metadata::new(),
        attachment: None,
        direction: Direction::Incoming,
        state: DeliveryState::Delivered,
        client_key: None,
    }
}

fn outgoing_echo(group: i64, client_key: &str, at: i64, text: &str) -> Message {
    let mut metadata = Metadata::new();
    metadata.insert(crate::model::keys::CLIENT_KEY.into(), client_key.into());
    Message {
        key: client_key.into(),
        conversation_id: format!("g:{group}"),
        sender_id: ME.into(),
        created_at: at,
        text: text.into(),
        content_type: 0,
        metadata,
        attachment: None,
        direction: Direction::Outgoing,
        state: DeliveryState::Queued,
        client_key: Some(client_key.into()),
    }
}

fn queued(group: i64, client_key: &str, at: i64, text: &str) -> Change {
    let echo = outgoing_echo(group, client_key, at, text);
    Change::Enqueue {
        item: OutboxItem {
            client_key: client_key.into(),
            conversation_id: format!("g:{group}"),
            text: text.into(),
            content_type: 0,
            metadata: echo.metadata.clone(),
            file_meta_json: None,
            created_at: at,
            attempts: 0,
            next_attempt_at: at,
            last_error: None,
            failed: false,
        },
        echo,
    }
}

async fn setup<S: Store>(s: &S) {
    s.save_account(&account(ACCOUNT, ME))
        .await
        .expect("save account");
}

fn q(view: InboxView) -> InboxQuery {
    InboxQuery {
        view,
        sort: InboxSort::Newest,
        offset: 0,
        limit: 100,
    }
}

async fn ids<S: Store>(s: &S, query: InboxQuery) -> Vec<String> {
    s.inbox(ACCOUNT, query)
        .await
        .expect("inbox")
        .into_iter()
        .map(|c| c.id)
        .collect()
}

async fn views_and_counts<S: Store>(s: S) {
    setup(&s).await;
    use ConversationStatus::*;
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(conversation(1, Open, Some(ME), 100)),
            Change::UpsertConversation(conversation(2, Open, None, 200)),
            Change::UpsertConversation(conversation(3, Waiting, Some("other"), 300)),
            Change::UpsertConversation(conversation(4, Resolved, Some(ME), 400)),
            Change::UpsertConversation(conversation(5, Spam, None, 500)),
            Change::UpsertConversation(conversation(6, Initial, None, 600)),
        ],
    )
    .await
    .expect("apply");
    assert_eq!(ids(&s, q(InboxView::AssignedToMe)).await, ["g:1"]);
    assert_eq!(ids(&s, q(InboxView::Unassigned)).await, ["g:6", "g:2"]);
    assert_eq!(
        ids(&s, q(InboxView::All)).await,
        ["g:6", "g:3", "g:2", "g:1"]
    );
    assert_eq!(ids(&s, q(InboxView::Closed)).await, ["g:4"]);
    assert_eq!(ids(&s, q(InboxView::Spam)).await, ["g:5"]);
    let mut oldest = q(InboxView::All);
    oldest.sort = InboxSort::Oldest;
    assert_eq!(ids(&s, oldest).await, ["g:1", "g:2", "g:3", "g:6"]);
    let mut page = q(InboxView::All);
    page.offset = 1;
    page.limit = 2;
    assert_eq!(ids(&s, page).await, ["g:3", "g:2"]);

    let c = s.counts(ACCOUNT).await.expect("counts");
    assert_eq!(
        (c.assigned_to_me, c.unassigned, c.all, c.closed, c.spam),
        (1, 2, 4, 1, 1)
    );

    // Resolving moves a conversation from the open views to closed.
    s.apply(
        ACCOUNT,
        vec![Change::SetConversationStatus {
            id: "g:1".into(),
            status: Resolved,
        }],
    )
    .await
    .expect("resolve");
    let c = s.counts(ACCOUNT).await.expect("counts");
    assert_eq!((c.assigned_to_me, c.all, c.closed), (0, 3, 2));
    let conv = s
        .conversation(ACCOUNT, "g:1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(conv.status, Resolved);
    assert_eq!(
        conv.metadata.get("CONVERSATION_STATUS").map(String::as_str),
        Some("2")
    );

    // Assigning moves it between assigned and unassigned.
    s.apply(
        ACCOUNT,
        vec![Change::SetAssignee {
            id: "g:2".into(),
            assignee: Some(ME.into()),
        }],
    )
    .await
    .expect("assign");
    let c = s.counts(ACCOUNT).await.expect("counts");
    assert_eq!((c.assigned_to_me, c.unassigned), (1, 1));
    let mut unread_first = q(InboxView::All);
    unread_first.sort = InboxSort::UnreadFirst;
    s.apply(
        ACCOUNT,
        vec![Change::UpsertMessage(incoming(2, "m1", 50, "hi"))],
    )
    .await
    .expect("msg");
    assert_eq!(ids(&s, unread_first).await[0], "g:2");
}

async fn incoming_message_bumps_unread_once<S: Store>(s: S) {
    setup(&s).await;
    s.apply(
        ACCOUNT,
        vec![Change::UpsertConversation(conversation(
            1,
            ConversationStatus::Open,
            None,
            100,
        ))],
    )
    .await
    .expect("conv");
    let applied = s
        .apply(
            ACCOUNT,
            vec![
                Change::UpsertMessage(incoming(1, "k1", 200, "Where is my order?")),
                Change::UpsertMessage(incoming(1, "k1", 200, "Where is my order?")),
                Change::UpsertMessage(incoming(1, "k2", 300, "Hello?")),
            ],
        )
        .await
        .expect("apply");
    assert_eq!(applied.new_incoming.len(), 2, "a duplicate is not new");
    assert_eq!(applied.conversations, ["g:1"]);
    let c = s
        .conversation(ACCOUNT, "g:1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(c.unread, 2);
    assert_eq!(c.last_activity_at, 300);
    assert_eq!(c.last_message_preview.as_deref(), Some("Hello?"));
    assert_eq!(s.counts(ACCOUNT).await.expect("counts").unread, 2);

    // A replayed older message does not move the preview back.
    s.apply(
        ACCOUNT,
        vec![Change::UpsertMessage(incoming(
            1,
            "k1",
            200,
            "Where is my order?",
        ))],
    )
    .await
    .expect("replay");
    let c = s
        .conversation(ACCOUNT, "g:1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(c.last_message_preview.as_deref(), Some("Hello?"));
    assert_eq!(c.unread, 2);

    s.apply(
        ACCOUNT,
        vec![Change::MarkConversationRead {
            conversation_id: "g:1".into(),
        }],
    )
    .await
    .expect("read");
    assert_eq!(s.counts(ACCOUNT).await.expect("counts").unread, 0);

    // Group actions (content type 10) are shown but are not unread.
    let mut action = incoming(1, "k3", 400, "Agent joined");
    action.content_type = 10;
    s.apply(ACCOUNT, vec![Change::UpsertMessage(action)])
        .await
        .expect("action");
    let c = s
        .conversation(ACCOUNT, "g:1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(c.unread, 0);
    assert_eq!(c.last_message_preview.as_deref(), Some("Hello?"));
}

async fn state_never_downgrades<S: Store>(s: S) {
    setup(&s).await;
    let mut m = incoming(1, "k1", 100, "x");
    m.direction = Direction::Outgoing;
    m.sender_id = ME.into();
    m.state = DeliveryState::Read;
    s.apply(ACCOUNT, vec![Change::UpsertMessage(m.clone())])
        .await
        .expect("insert");
    m.state = DeliveryState::Sent;
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertMessage(m),
            Change::SetMessageState {
                key: "k1".into(),
                state: DeliveryState::Delivered,
            },
        ],
    )
    .await
    .expect("downgrade attempt");
    let got = s
        .message(ACCOUNT, "k1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(got.state, DeliveryState::Read);
}

async fn timeline_pages_oldest_first<S: Store>(s: S) {
    setup(&s).await;
    let changes = (0..10)
        .map(|i| Change::UpsertMessage(incoming(1, &format!("k{i:02}"), 1000 + i * 10, "t")))
        .collect();
    s.apply(ACCOUNT, changes).await.expect("apply");
    // Two messages at the same millisecond are ordered by key.
    s.apply(
        ACCOUNT,
        vec![Change::UpsertMessage(incoming(1, "k05b", 1050, "same ms"))],
    )
    .await
    .expect("tie");
    let last = s.timeline(ACCOUNT, "g:1", None, 4).await.expect("timeline");
    let keys: Vec<&str> = last.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["k06", "k07", "k08", "k09"]);
    let first = &last[0];
    let older = s
        .timeline(
            ACCOUNT,
            "g:1",
            Some((first.created_at, first.key.clone())),
            3,
        )
        .await
        .expect("older");
    let keys: Vec<&str> = older.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["k04", "k05", "k05b"]);
    assert!(s
        .timeline(ACCOUNT, "g:2", None, 10)
        .await
        .expect("empty")
        .is_empty());
}

async fn search_matches_words_and_prefixes<S: Store>(s: S) {
    setup(&s).await;
    let mut html = incoming(2, "h1", 400, "<p>Your <b>refund</b> is approved</p>");
    html.content_type = 3;
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(conversation(1, ConversationStatus::Open, None, 1)),
            Change::UpsertMessage(incoming(1, "a", 100, "My order never arrived")),
            Change::UpsertMessage(incoming(
                1,
                "b",
                200,
                "Order number 12345, shipping to Paris",
            )),
            Change::UpsertMessage(incoming(1, "c", 300, "Thanks, the ORDER arrived!")),
            Change::UpsertMessage(html),
        ],
    )
    .await
    .expect("apply");
    let keys = |hits: Vec<crate::store::SearchHit>| -> Vec<String> {
        hits.into_iter().map(|h| h.message.key).collect()
    };
    assert_eq!(
        keys(s.search(ACCOUNT, "order", 10).await.expect("search")),
        ["c", "b", "a"]
    );
    assert_eq!(
        keys(s.search(ACCOUNT, "order arrived", 10).await.expect("s")),
        ["c", "a"]
    );
    assert_eq!(keys(s.search(ACCOUNT, "ship", 10).await.expect("s")), ["b"]);
    assert_eq!(
        keys(s.search(ACCOUNT, "12345", 10).await.expect("s")),
        ["b"]
    );
    assert_eq!(
        keys(s.search(ACCOUNT, "refund", 10).await.expect("s")),
        ["h1"]
    );
    assert!(
        s.search(ACCOUNT, "b", 10)
            .await
            .expect("s")
            .iter()
            .all(|h| h.message.key != "h1"),
        "markup is not searchable"
    );
    assert_eq!(keys(s.search(ACCOUNT, "order", 1).await.expect("s")), ["c"]);
    assert!(s.search(ACCOUNT, "", 10).await.expect("s").is_empty());
    assert!(
        s.search(ACCOUNT, "\"*) OR 1=1 --", 10).await.is_ok(),
        "hostile query is safe"
    );
    let hit = &s.search(ACCOUNT, "paris", 10).await.expect("s")[0];
    assert_eq!(hit.conversation_title, "Customer 1");
}

async fn outbox_echo_confirm_and_race<S: Store>(s: S) {
    setup(&s).await;
    let applied = s
        .apply(
            ACCOUNT,
            vec![
                queued(1, "ck1", 100, "On my way"),
                queued(1, "ck2", 101, "Second"),
            ],
        )
        .await
        .expect("enqueue");
    assert!(applied.new_incoming.is_empty());
    let out = s.outbox(ACCOUNT).await.expect("outbox");
    assert_eq!(
        out.iter()
            .map(|i| i.client_key.as_str())
            .collect::<Vec<_>>(),
        ["ck1", "ck2"]
    );
    let echo = s.message(ACCOUNT, "ck1").await.expect("get").expect("echo");
    assert_eq!(echo.state, DeliveryState::Queued);

    // The server accepts ck1: the echo takes the server key.
    let applied = s
        .apply(
            ACCOUNT,
            vec![Change::ConfirmSent {
                client_key: "ck1".into(),
                server_key: "5-1-100".into(),
                created_at: 150,
            }],
        )
        .await
        .expect("confirm");
    assert_eq!(applied.rekeyed, [("ck1".to_owned(), "5-1-100".to_owned())]);
    assert!(s.message(ACCOUNT, "ck1").await.expect("get").is_none());
    let sent = s
        .message(ACCOUNT, "5-1-100")
        .await
        .expect("get")
        .expect("sent");
    assert_eq!(sent.state, DeliveryState::Sent);
    assert_eq!(sent.created_at, 150);

    // Sync brings the server copy of ck2 before the send call returned: matched by client key.
    let mut server_copy = outgoing_echo(1, "ck2", 160, "Second");
    server_copy.key = "5-1-160".into();
    server_copy.state = DeliveryState::Delivered;
    s.apply(ACCOUNT, vec![Change::UpsertMessage(server_copy)])
        .await
        .expect("sync copy");
    s.apply(
        ACCOUNT,
        vec![Change::ConfirmSent {
            client_key: "ck2".into(),
            server_key: "5-1-160".into(),
            created_at: 160,
        }],
    )
    .await
    .expect("late confirm");
    let tl = s
        .timeline(ACCOUNT, "g:1", None, 10)
        .await
        .expect("timeline");
    let keys: Vec<&str> = tl.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["5-1-100", "5-1-160"], "exactly one copy of each");
    assert_eq!(tl[1].state, DeliveryState::Delivered);
    assert!(s.outbox(ACCOUNT).await.expect("outbox").is_empty());
}

async fn outbox_keeps_queue_order_within_one_millisecond<S: Store>(s: S) {
    setup(&s).await;
    // Random client keys, same timestamp: the queue order must still be the enqueue order.
    let keys = ["zz", "aa", "mm", "bb"];
    for k in keys {
        s.apply(ACCOUNT, vec![queued(1, k, 100, k)])
            .await
            .expect("enqueue");
    }
    let order: Vec<String> = s
        .outbox(ACCOUNT)
        .await
        .expect("outbox")
        .into_iter()
        .map(|i| i.client_key)
        .collect();
    assert_eq!(order, keys);
}

async fn outbox_cancel_edit_and_failure<S: Store>(s: S) {
    setup(&s).await;
    s.apply(
        ACCOUNT,
        vec![
            queued(1, "a", 100, "typo"),
            queued(1, "b", 101, "cancel me"),
        ],
    )
    .await
    .expect("enqueue");
    s.apply(
        ACCOUNT,
        vec![
            Change::EditQueued {
                client_key: "a".into(),
                text: "fixed".into(),
            },
            Change::CancelQueued {
                client_key: "b".into(),
            },
            Change::RecordAttempt {
                client_key: "a".into(),
                error: "timeout".into(),
                next_attempt_at: 5000,
                failed: false,
            },
        ],
    )
    .await
    .expect("edit");
    let out = s.outbox(ACCOUNT).await.expect("outbox");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].text, "fixed");
    assert_eq!(out[0].attempts, 1);
    assert_eq!(out[0].next_attempt_at, 5000);
    assert_eq!(out[0].last_error.as_deref(), Some("timeout"));
    assert!(s.message(ACCOUNT, "b").await.expect("get").is_none());
    assert_eq!(
        s.message(ACCOUNT, "a").await.expect("get").expect("a").text,
        "fixed"
    );
    s.apply(
        ACCOUNT,
        vec![Change::RecordAttempt {
            client_key: "a".into(),
            error: "rejected".into(),
            next_attempt_at: 0,
            failed: true,
        }],
    )
    .await
    .expect("fail");
    assert!(s.outbox(ACCOUNT).await.expect("outbox")[0].failed);
    assert_eq!(
        s.message(ACCOUNT, "a")
            .await
            .expect("get")
            .expect("a")
            .state,
        DeliveryState::Failed
    );
}

async fn cursors_and_drafts<S: Store>(s: S) {
    setup(&s).await;
    assert_eq!(s.cursor(ACCOUNT, "message_sync").await.expect("c"), None);
    s.apply(
        ACCOUNT,
        vec![
            Change::SetCursor {
                name: "message_sync".into(),
                value: 42,
            },
            Change::SetCursor {
                name: "message_sync".into(),
                value: 43,
            },
            Change::SetDraft {
                conversation_id: "g:1".into(),
                text: "half a reply".into(),
            },
        ],
    )
    .await
    .expect("apply");
    assert_eq!(
        s.cursor(ACCOUNT, "message_sync").await.expect("c"),
        Some(43)
    );
    assert_eq!(
        s.draft(ACCOUNT, "g:1").await.expect("d").as_deref(),
        Some("half a reply")
    );
    s.apply(
        ACCOUNT,
        vec![Change::SetDraft {
            conversation_id: "g:1".into(),
            text: String::new(),
        }],
    )
    .await
    .expect("clear");
    assert_eq!(s.draft(ACCOUNT, "g:1").await.expect("d"), None);
}

async fn unknown_conversation_gets_placeholder<S: Store>(s: S) {
    setup(&s).await;
    s.apply(
        ACCOUNT,
        vec![Change::UpsertMessage(incoming(77, "k", 500, "hi there"))],
    )
    .await
    .expect("apply");
    let c = s
        .conversation(ACCOUNT, "g:77")
        .await
        .expect("get")
        .expect("placeholder");
    assert_eq!(c.group_id, Some(77));
    assert_eq!(c.unread, 1);
    assert_eq!(c.status, ConversationStatus::Open);
    // The group sync fills it in without losing the counts.
    let mut full = conversation(77, ConversationStatus::Open, Some(ME), 10);
    full.title = "Grace Hopper".into();
    let applied = s
        .apply(ACCOUNT, vec![Change::UpsertConversation(full)])
        .await
        .expect("fill");
    assert!(
        applied.new_conversations.is_empty(),
        "not new the second time"
    );
    let c = s
        .conversation(ACCOUNT, "g:77")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(c.title, "Grace Hopper");
    assert_eq!(c.unread, 1);
    assert_eq!(c.last_activity_at, 500);
    assert_eq!(c.last_message_preview.as_deref(), Some("hi there"));
    assert_eq!(s.counts(ACCOUNT).await.expect("counts").assigned_to_me, 1);
}

async fn conversation_upsert_keeps_newer_activity<S: Store>(s: S) {
    setup(&s).await;
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(conversation(1, ConversationStatus::Open, None, 100)),
            Change::UpsertMessage(incoming(1, "k", 900, "latest")),
        ],
    )
    .await
    .expect("apply");
    s.apply(
        ACCOUNT,
        vec![Change::UpsertConversation(conversation(
            1,
            ConversationStatus::Waiting,
            None,
            100,
        ))],
    )
    .await
    .expect("stale feed");
    let c = s
        .conversation(ACCOUNT, "g:1")
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(c.status, ConversationStatus::Waiting);
    assert_eq!(c.last_activity_at, 900);
    assert_eq!(c.unread, 1);
    s.apply(
        ACCOUNT,
        vec![Change::RemoveConversation { id: "g:1".into() }],
    )
    .await
    .expect("remove");
    assert!(s.conversation(ACCOUNT, "g:1").await.expect("get").is_none());
    assert!(s.message(ACCOUNT, "k").await.expect("get").is_none());
    assert_eq!(s.counts(ACCOUNT).await.expect("counts").all, 0);
}

async fn contacts_and_presence<S: Store>(s: S) {
    setup(&s).await;
    let ada = Contact {
        user_id: "ada".into(),
        display_name: Some("Ada Lovelace".into()),
        email: Some("ada@example.com".into()),
        phone: Some("+44 20 7946 0000".into()),
        image_url: None,
        metadata: Metadata::new(),
        online: false,
        last_seen_at: None,
        role_type: 3,
    };
    let mut bob = ada.clone();
    bob.user_id = "bob".into();
    bob.display_name = Some("Bob Builder".into());
    bob.email = Some("bob@example.org".into());
    s.apply(
        ACCOUNT,
        vec![Change::UpsertContact(ada), Change::UpsertContact(bob)],
    )
    .await
    .expect("contacts");
    let found = s
        .search_contacts(ACCOUNT, "love", 10)
        .await
        .expect("search");
    assert_eq!(
        found.iter().map(|c| c.user_id.as_str()).collect::<Vec<_>>(),
        ["ada"]
    );
    let found = s
        .search_contacts(ACCOUNT, "example", 10)
        .await
        .expect("search");
    assert_eq!(found.len(), 2);
    s.apply(
        ACCOUNT,
        vec![
            Change::SetPresence {
                user_id: "ada".into(),
                online: true,
                last_seen_at: None,
            },
            Change::SetPresence {
                user_id: "carol".into(),
                online: false,
                last_seen_at: Some(1234),
            },
        ],
    )
    .await
    .expect("presence");
    assert!(
        s.contact(ACCOUNT, "ada")
            .await
            .expect("get")
            .expect("ada")
            .online
    );
    let carol = s
        .contact(ACCOUNT, "carol")
        .await
        .expect("get")
        .expect("carol");
    assert_eq!(carol.last_seen_at, Some(1234));
}

async fn accounts_are_isolated_and_removable<S: Store>(s: S) {
    setup(&s).await;
    let other = "app:agent2@x";
    s.save_account(&account(other, "agent2@x"))
        .await
        .expect("save");
    s.apply(
        ACCOUNT,
        vec![Change::UpsertConversation(conversation(
            1,
            ConversationStatus::Open,
            None,
            1,
        ))],
    )
    .await
    .expect("a");
    s.apply(
        other,
        vec![Change::UpsertConversation(conversation(
            2,
            ConversationStatus::Open,
            None,
            1,
        ))],
    )
    .await
    .expect("b");
    assert_eq!(ids(&s, q(InboxView::All)).await, ["g:1"]);
    let accounts = s.accounts().await.expect("accounts");
    assert_eq!(accounts.len(), 2);
    s.remove_account(ACCOUNT).await.expect("remove");
    assert!(ids(&s, q(InboxView::All)).await.is_empty());
    assert_eq!(s.accounts().await.expect("accounts").len(), 1);
    assert_eq!(
        s.inbox(
            other,
            InboxQuery {
                view: InboxView::All,
                sort: InboxSort::Newest,
                offset: 0,
                limit: 10
            }
        )
        .await
        .expect("other")
        .len(),
        1
    );
}

async fn read_receipts_upgrade_outgoing<S: Store>(s: S) {
    setup(&s).await;
    let mut a = incoming(1, "o1", 100, "out 1");
    a.direction = Direction::Outgoing;
    a.sender_id = ME.into();
    a.state = DeliveryState::Sent;
    let mut b = a.clone();
    b.key = "o2".into();
    b.created_at = 200;
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertMessage(a),
            Change::UpsertMessage(b),
            queued(1, "q1", 300, "still queued"),
        ],
    )
    .await
    .expect("apply");
    s.apply(
        ACCOUNT,
        vec![Change::SetConversationMessagesState {
            conversation_id: "g:1".into(),
            state: DeliveryState::Read,
        }],
    )
    .await
    .expect("read");
    let tl = s.timeline(ACCOUNT, "g:1", None, 10).await.expect("tl");
    let states: Vec<DeliveryState> = tl.iter().map(|m| m.state).collect();
    assert_eq!(
        states,
        [
            DeliveryState::Read,
            DeliveryState::Read,
            DeliveryState::Queued
        ],
        "a queued message is not marked read"
    );
}

/// Stores may write a batch of new messages differently (multi-row statements); the result
/// must be what applying them one by one gives: previews, activity times, unread counts,
/// placeholders, timelines, search.
async fn a_batch_of_new_messages_ends_like_one_by_one<S: Store>(batch: S, single: S) {
    let mut msgs = Vec::new();
    for i in 0..60_i64 {
        let group = 1 + i % 3; // 1 and 2 are cached, 3 is not (a placeholder)
        let mut m = incoming(
            group,
            &format!("b{i}"),
            1_000 + i * 10,
            &format!("batch word{i}"),
        );
        match i {
            // A group action newest in conversation 1: activity moves, preview does not.
            57 => m.content_type = 10,
            // An older message arriving late: neither preview nor activity move.
            58 => m.created_at = 5,
            // An agent's reply: not unread.
            59 => {
                m.direction = Direction::Outgoing;
                m.sender_id = ME.into();
            }
            _ => {}
        }
        msgs.push(m);
    }
    for s in [&batch, &single] {
        setup(s).await;
        s.apply(
            ACCOUNT,
            vec![
                Change::UpsertConversation(conversation(
                    1,
                    ConversationStatus::Open,
                    Some(ME),
                    500,
                )),
                Change::UpsertConversation(conversation(2, ConversationStatus::Open, None, 2_000)),
            ],
        )
        .await
        .expect("seed");
    }
    let applied = batch
        .apply(
            ACCOUNT,
            msgs.iter().cloned().map(Change::UpsertMessage).collect(),
        )
        .await
        .expect("batch");
    for m in &msgs {
        single
            .apply(ACCOUNT, vec![Change::UpsertMessage(m.clone())])
            .await
            .expect("one");
    }
    assert_eq!(applied.messages.len(), msgs.len());
    assert_eq!(applied.new_conversations, vec!["g:3".to_owned()]);
    assert_eq!(
        applied.new_incoming.len(),
        msgs.iter()
            .filter(|m| m.direction == Direction::Incoming)
            .count()
    );
    let (a, b) = (all_rows(&batch).await, all_rows(&single).await);
    assert_eq!(a.len(), 3);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (&x.id, x.last_activity_at, &x.last_message_preview, x.unread),
            (&y.id, y.last_activity_at, &y.last_message_preview, y.unread),
            "batch vs one by one"
        );
    }
    assert_eq!(
        batch.counts(ACCOUNT).await.expect("counts"),
        single.counts(ACCOUNT).await.expect("counts")
    );
    for g in 1..=3 {
        let id = format!("g:{g}");
        let ta = batch.timeline(ACCOUNT, &id, None, 100).await.expect("tl");
        let tb = single.timeline(ACCOUNT, &id, None, 100).await.expect("tl");
        assert_eq!(ta, tb, "timeline of {id}");
    }
    assert_eq!(
        batch
            .search(ACCOUNT, "word42", 5)
            .await
            .expect("search")
            .len(),
        1
    );
    // Sending the same batch again changes nothing (the one-by-one path takes over).
    batch
        .apply(
            ACCOUNT,
            msgs.iter().cloned().map(Change::UpsertMessage).collect(),
        )
        .await
        .expect("again");
    assert_eq!(all_rows(&batch).await, a);
    // A long batch (several statements' worth) naming stored messages past its first
    // statements: those before go in as new, the rest one by one; it ends as one by one.
    let mut more: Vec<Message> = (0..700_i64)
        .map(|i| {
            incoming(
                1 + i % 3,
                &format!("c{i}"),
                2_000 + i * 10,
                &format!("more word{i}"),
            )
        })
        .collect();
    for (n, old) in msgs.iter().take(5).enumerate() {
        let mut again = old.clone();
        again.state = DeliveryState::Read;
        more.insert(400 + n * 50, again);
    }
    let applied = batch
        .apply(
            ACCOUNT,
            more.iter().cloned().map(Change::UpsertMessage).collect(),
        )
        .await
        .expect("long batch");
    for m in &more {
        single
            .apply(ACCOUNT, vec![Change::UpsertMessage(m.clone())])
            .await
            .expect("one");
    }
    assert_eq!(applied.messages.len(), more.len());
    assert_eq!(
        applied.new_incoming.len(),
        700,
        "the stored five are not new"
    );
    let (a, b) = (all_rows(&batch).await, all_rows(&single).await);
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            (&x.id, x.last_activity_at, &x.last_message_preview, x.unread),
            (&y.id, y.last_activity_at, &y.last_message_preview, y.unread),
            "long batch vs one by one"
        );
    }
    for g in 1..=3 {
        let id = format!("g:{g}");
        let ta = batch.timeline(ACCOUNT, &id, None, 1000).await.expect("tl");
        let tb = single.timeline(ACCOUNT, &id, None, 1000).await.expect("tl");
        assert_eq!(ta, tb, "timeline of {id} after the long batch");
    }
}

async fn all_rows<S: Store>(s: &S) -> Vec<Conversation> {
    s.inbox(ACCOUNT, q(InboxView::All)).await.expect("inbox")
}

/// The views list support conversations; a team group (type 2) with unread messages is in
/// none of them and adds nothing to the counts.
async fn team_groups_are_in_no_inbox_view<S: Store>(s: S) {
    setup(&s).await;
    let team = Conversation {
        group_type: 2,
        ..conversation(7, ConversationStatus::Open, Some(ME), 10)
    };
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(team),
            Change::UpsertConversation(conversation(8, ConversationStatus::Open, Some(ME), 20)),
            Change::UpsertMessage(incoming(7, "t1", 30, "lunch?")),
            Change::UpsertMessage(incoming(8, "s1", 40, "help")),
        ],
    )
    .await
    .expect("apply");
    for v in InboxView::ALL {
        let listed = ids(&s, q(v)).await;
        assert!(!listed.contains(&"g:7".to_owned()), "{v:?}: {listed:?}");
    }
    let c = s.counts(ACCOUNT).await.expect("counts");
    assert_eq!((c.all, c.assigned_to_me, c.unread), (1, 1, 1), "{c:?}");
    // Still cached: the group screen and search find it.
    assert!(s.conversation(ACCOUNT, "g:7").await.expect("get").is_some());
}

async fn groups_list_non_support_groups_by_name<S: Store>(s: S) {
    setup(&s).await;
    let group = |id: i64, kind: i64, title: &str| Conversation {
        group_type: kind,
        title: title.into(),
        ..conversation(id, ConversationStatus::Open, None, id)
    };
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(group(1, 2, "zeta team")),
            Change::UpsertConversation(group(2, 10, "A customer")),
            Change::UpsertConversation(group(3, 6, "Alpha open")),
            Change::UpsertConversation(group(4, 5, "broadcast")),
        ],
    )
    .await
    .expect("apply");
    let titles: Vec<String> = s
        .groups(ACCOUNT)
        .await
        .expect("groups")
        .into_iter()
        .map(|c| c.title)
        .collect();
    assert_eq!(titles, ["Alpha open", "broadcast", "zeta team"]);
    s.apply(
        ACCOUNT,
        vec![Change::RemoveConversation { id: "g:3".into() }],
    )
    .await
    .expect("remove");
    assert_eq!(s.groups(ACCOUNT).await.expect("groups").len(), 2);
    assert!(s.groups("other").await.expect("groups").is_empty());
}

async fn customer_history_lists_their_support_conversations<S: Store>(s: S) {
    setup(&s).await;
    let of = |id: i64, customer: &str, at: i64, kind: i64| Conversation {
        customer_id: Some(customer.into()),
        group_type: kind,
        ..conversation(id, ConversationStatus::Resolved, None, at)
    };
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(of(1, "ada", 10, 10)),
            Change::UpsertConversation(of(2, "ada", 30, 10)),
            Change::UpsertConversation(of(3, "bob", 20, 10)),
            Change::UpsertConversation(of(4, "ada", 40, 2)),
            Change::UpsertConversation(of(5, "ada", 20, 10)),
        ],
    )
    .await
    .expect("apply");
    let ids: Vec<String> = s
        .conversations_of_customer(ACCOUNT, "ada", 10)
        .await
        .expect("history")
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["g:2", "g:5", "g:1"], "newest first, support only");
    let two = s
        .conversations_of_customer(ACCOUNT, "ada", 2)
        .await
        .expect("history");
    assert_eq!(two.len(), 2);
    assert!(s
        .conversations_of_customer(ACCOUNT, "nobody", 10)
        .await
        .expect("history")
        .is_empty());
}

async fn find_conversations_by_title_customer_name_and_email<S: Store>(s: S) {
    setup(&s).await;
    let conv = |id: i64, title: &str, customer: &str, at: i64, kind: i64| Conversation {
        title: title.into(),
        customer_id: Some(customer.into()),
        group_type: kind,
        ..conversation(id, ConversationStatus::Open, None, at)
    };
    let grace = Contact {
        user_id: "cust-grace".into(),
        display_name: Some("Grace Hopper".into()),
        email: Some("grace@navy.example".into()),
        phone: None,
        image_url: None,
        metadata: Metadata::new(),
        online: false,
        last_seen_at: None,
        role_type: 3,
    };
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertContact(grace),
            Change::UpsertConversation(conv(1, "Refund for order 42", "cust-grace", 10, 10)),
            Change::UpsertConversation(conv(2, "Billing team", "cust-x", 50, 2)),
            Change::UpsertConversation(conv(3, "Order never arrived", "cust-y", 30, 10)),
            Change::UpsertConversation(conv(4, "Re: ORDER 42 again", "cust-grace", 40, 10)),
        ],
    )
    .await
    .expect("apply");
    let ids = |v: Vec<Conversation>| v.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let find = |terms: &'static str, limit: u32| {
        let s = &s;
        async move {
            ids(s
                .find_conversations(ACCOUNT, terms, limit)
                .await
                .expect("find"))
        }
    };
    // Every word, anywhere, any ASCII case; titles starting with the query first.
    assert_eq!(
        find("order", 10).await,
        ["g:3", "g:4", "g:1"],
        "title prefix first, then newest"
    );
    assert_eq!(find("ORDER 42", 10).await, ["g:4", "g:1"]);
    // The customer's cached name and e-mail, and their id.
    assert_eq!(find("grace", 10).await, ["g:4", "g:1"]);
    assert_eq!(find("navy.example", 10).await, ["g:4", "g:1"]);
    assert_eq!(find("cust-y", 10).await, ["g:3"]);
    // Team groups too: the palette reaches every conversation.
    assert_eq!(find("billing", 10).await, ["g:2"]);
    // No terms: the newest; the limit holds; nothing for an unknown word or account.
    assert_eq!(find("", 2).await, ["g:2", "g:4"]);
    assert!(find("zebra", 10).await.is_empty());
    assert!(s
        .find_conversations("other", "order", 10)
        .await
        .expect("find")
        .is_empty());
    // SQL-looking input is only text.
    assert!(find("%' OR 1=1 --", 10).await.is_empty());
}

async fn unified_inbox_merges_accounts_each_with_its_own_me<S: Store>(s: S) {
    use ConversationStatus::*;
    const WA: &str = "wapikit:org1:member1";
    setup(&s).await;
    let mut wa = account(WA, "member1");
    wa.platform = crate::server::Platform::WapiKit;
    s.save_account(&wa).await.expect("save second account");
    s.save_account(&account("app:third@x", "third@x"))
        .await
        .expect("save third account");
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(conversation(1, Open, Some(ME), 100)),
            Change::UpsertConversation(conversation(2, Open, Some("member1"), 300)),
            Change::UpsertConversation(conversation(3, Resolved, Some(ME), 500)),
        ],
    )
    .await
    .expect("apply first");
    s.apply(
        WA,
        vec![
            Change::UpsertConversation(conversation(1, Open, Some("member1"), 200)),
            Change::UpsertConversation(conversation(7, Open, None, 400)),
        ],
    )
    .await
    .expect("apply second");
    s.apply(
        "app:third@x",
        vec![Change::UpsertConversation(conversation(9, Open, None, 900))],
    )
    .await
    .expect("apply third");
    let both = [ACCOUNT.to_owned(), WA.to_owned()];
    let rows = |v: Vec<(String, Conversation)>| -> Vec<(String, String)> {
        v.into_iter().map(|(a, c)| (a, c.id)).collect()
    };
    let pair = |a: &str, id: &str| (a.to_owned(), id.to_owned());
    // Newest first over both accounts; the third account is not asked for.
    assert_eq!(
        rows(s.inbox_across(&both, q(InboxView::All)).await.expect("all")),
        [
            pair(WA, "g:7"),
            pair(ACCOUNT, "g:2"),
            pair(WA, "g:1"),
            pair(ACCOUNT, "g:1")
        ],
        "unified All view"
    );
    // "Mine" means me in each account: agent@x in the first, member1 in the second (g:2 of
    // the first account is assigned to a user named member1 there, not to me).
    assert_eq!(
        rows(
            s.inbox_across(&both, q(InboxView::AssignedToMe))
                .await
                .expect("mine")
        ),
        [pair(WA, "g:1"), pair(ACCOUNT, "g:1")],
        "unified Mine view"
    );
    let mut page = q(InboxView::All);
    page.offset = 1;
    page.limit = 2;
    assert_eq!(
        rows(s.inbox_across(&both, page).await.expect("page")),
        [pair(ACCOUNT, "g:2"), pair(WA, "g:1")],
        "a page of the unified view"
    );
    let mut oldest = q(InboxView::All);
    oldest.sort = InboxSort::Oldest;
    assert_eq!(
        rows(s.inbox_across(&both, oldest).await.expect("oldest"))
            .first()
            .cloned(),
        Some(pair(ACCOUNT, "g:1")),
        "oldest first"
    );
    assert!(
        s.inbox_across(&[], q(InboxView::All))
            .await
            .expect("none")
            .is_empty(),
        "no accounts, no rows"
    );
    assert_eq!(
        rows(
            s.inbox_across(&["nobody".to_owned()], q(InboxView::All))
                .await
                .expect("unknown")
        ),
        Vec::<(String, String)>::new(),
        "an unknown account adds nothing"
    );
}

async fn accounts_keep_their_platform<S: Store>(s: S) {
    setup(&s).await;
    let mut wa = account("wapikit:org1:member1", "member1");
    wa.platform = crate::server::Platform::WapiKit;
    s.save_account(&wa).await.expect("save");
    let accounts = s.accounts().await.expect("accounts");
    let platform_of = |id: &str| accounts.iter().find(|a| a.id == id).map(|a| a.platform);
    assert_eq!(
        platform_of(ACCOUNT),
        Some(crate::server::Platform::Kommunicate)
    );
    assert_eq!(
        platform_of("wapikit:org1:member1"),
        Some(crate::server::Platform::WapiKit)
    );
}

async fn canned_responses_save_edit_delete_per_account<S: Store>(s: S) {
    setup(&s).await;
    s.save_account(&account("app:other@x", "other@x"))
        .await
        .expect("save other");
    let canned = |id: &str, shortcut: &str, text: &str, at: i64| CannedResponse {
        id: id.into(),
        shortcut: shortcut.into(),
        text: text.into(),
        updated_at: at,
    };
    s.apply(
        ACCOUNT,
        vec![
            Change::SaveCanned(canned("c1", "thanks", "Thanks, {{customer.name}}!", 1)),
            Change::SaveCanned(canned("c2", "hello", "Hello", 2)),
        ],
    )
    .await
    .expect("save");
    s.apply(
        "app:other@x",
        vec![Change::SaveCanned(canned("c9", "x", "y", 3))],
    )
    .await
    .expect("save other");
    let list = s.canned_responses(ACCOUNT).await.expect("list");
    let shortcuts: Vec<&str> = list.iter().map(|c| c.shortcut.as_str()).collect();
    assert_eq!(
        shortcuts,
        ["hello", "thanks"],
        "by shortcut, this account only"
    );
    s.apply(
        ACCOUNT,
        vec![Change::SaveCanned(canned("c1", "thx", "Thank you", 5))],
    )
    .await
    .expect("edit");
    let list = s.canned_responses(ACCOUNT).await.expect("list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[1], canned("c1", "thx", "Thank you", 5));
    s.apply(ACCOUNT, vec![Change::DeleteCanned { id: "c2".into() }])
        .await
        .expect("delete");
    assert_eq!(s.canned_responses(ACCOUNT).await.expect("list").len(), 1);
    assert_eq!(
        s.canned_responses("app:other@x").await.expect("list").len(),
        1
    );
    s.remove_account(ACCOUNT).await.expect("remove");
    assert!(s.canned_responses(ACCOUNT).await.expect("list").is_empty());
}

async fn clear_cache_keeps_what_the_agent_wrote<S: Store>(s: S) {
    setup(&s).await;
    s.apply(
        ACCOUNT,
        vec![
            Change::UpsertConversation(conversation(1, ConversationStatus::Open, Some(ME), 10)),
            Change::UpsertConversation(conversation(2, ConversationStatus::Open, Some(ME), 20)),
            Change::UpsertMessage(incoming(1, "m1", 11, "hello there")),
            Change::UpsertMessage(incoming(2, "m2", 21, "second")),
            queued(2, "ck-1", 22, "on its way"),
            Change::SetDraft {
                conversation_id: "g:1".into(),
                text: "half a reply".into(),
            },
            Change::SetCursor {
                name: "message".into(),
                value: 99,
            },
            Change::SaveCanned(CannedResponse {
                id: "c1".into(),
                shortcut: "hi".into(),
                text: "Hi".into(),
                updated_at: 1,
            }),
            Change::UpsertContact(Contact {
                user_id: "cust1".into(),
                display_name: Some("Ada".into()),
                email: None,
                phone: None,
                image_url: None,
                metadata: Metadata::new(),
                online: false,
                last_seen_at: None,
                role_type: 3,
            }),
        ],
    )
    .await
    .expect("apply");
    s.apply(ACCOUNT, vec![Change::ClearCache])
        .await
        .expect("clear");
    assert!(s.conversation(ACCOUNT, "g:1").await.expect("get").is_none());
    assert!(
        s.conversation(ACCOUNT, "g:2").await.expect("get").is_some(),
        "queued kept"
    );
    let t = s
        .timeline(ACCOUNT, "g:2", None, 10)
        .await
        .expect("timeline");
    let keys: Vec<&str> = t.iter().map(|m| m.key.as_str()).collect();
    assert_eq!(keys, ["ck-1"], "only the queued echo stays");
    assert_eq!(s.outbox(ACCOUNT).await.expect("outbox").len(), 1);
    assert_eq!(
        s.draft(ACCOUNT, "g:1").await.expect("draft").as_deref(),
        Some("half a reply")
    );
    assert_eq!(s.canned_responses(ACCOUNT).await.expect("canned").len(), 1);
    assert_eq!(s.cursor(ACCOUNT, "message").await.expect("cursor"), None);
    assert!(s
        .contact(ACCOUNT, "cust1")
        .await
        .expect("contact")
        .is_none());
    assert!(s
        .search(ACCOUNT, "hello", 10)
        .await
        .expect("search")
        .is_empty());
    let c = s.counts(ACCOUNT).await.expect("counts");
    assert_eq!((c.all, c.assigned_to_me), (1, 1), "{c:?}");
}
