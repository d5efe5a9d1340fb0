//! Contract tests of the typed REST calls (`api_groups`, `api_users`, `api_messages`,
//! `api_kommunicate`, `api_files`) against the sandbox: each call decodes what the platform
//! answers, and its errors map to the right `ClientError`.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use parley_client::api_groups::{
    group_role, group_type, ContactList, GroupChanges, GroupMember, NewGroup, RoleChange,
};
use parley_client::api_kommunicate::{KmUserQuery, NewConversation};
use parley_client::api_messages::{
    Broadcast, BroadcastMessage, OutgoingMessage, Thread, TopicMode, TopicPeer, TopicRequest,
};
use parley_client::api_users::{ProfileUpdate, UserFilter};
use parley_client::api_util::GroupRef;
use parley_client::http::RestClient;
use parley_client::{sign_in, ClientError, MemorySecrets};
use parley_core::wire::{ChannelFeed, Metadata};
use parley_core::{Secret, SignInRole};
use parley_sandbox::{Sandbox, SeedConfig};

const ALICE: &str = "alice@parley.test";
const BOB: &str = "bob@parley.test";
const CAROL: &str = "carol@parley.test";
const AGENT_PW: &str = "agent-password";
const CUSTOMER_PW: &str = "customer-password";

/// A signed-in REST client (real sign-in code, no MQTT: these tests are about REST).
async fn rest_as(sb: &Sandbox, user: &str, password: &str, role: SignInRole) -> RestClient {
    let valid = form(
        sb.http_url(),
        sb.mqtt_url(),
        sb.application_id(),
        user,
        password,
        role,
    )
    .validate()
    .expect("valid form");
    let http = parley_client::http::http_client().expect("http client");
    let signed = sign_in(&http, &valid, Arc::new(MemorySecrets::default()))
        .await
        .unwrap_or_else(|e| panic!("{user} signs in: {e}"));
    RestClient::new(http, signed.account.endpoints.clone(), signed.session)
}

async fn agent_rest(sb: &Sandbox, user: &str) -> RestClient {
    rest_as(sb, user, AGENT_PW, SignInRole::Agent).await
}

async fn customer_rest(sb: &Sandbox, user: &str) -> RestClient {
    rest_as(sb, user, CUSTOMER_PW, SignInRole::AppUser).await
}

async fn demo() -> Sandbox {
    sandbox(SeedConfig::Demo).await
}

fn meta(pairs: &[(&str, &str)]) -> Metadata {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn role_of(feed: &ChannelFeed, user: &str) -> Option<i64> {
    feed.group_users
        .iter()
        .find(|u| u.user_id.as_deref() == Some(user))
        .map(|u| u.role)
}

fn members(feed: &ChannelFeed) -> Vec<String> {
    let mut m = feed.members_id.clone();
    m.sort();
    m
}

fn assert_platform(e: &ClientError, code: &str) {
    match e {
        ClientError::Platform { code: c, .. } => assert_eq!(c, code, "{e:?}"),
        other => panic!("expected platform error {code}, got {other:?}"),
    }
}

fn assert_forbidden(e: &ClientError) {
    assert!(
        matches!(e, ClientError::Forbidden(_)),
        "expected a refusal, got {e:?}"
    );
}

/// A public group of alice's with two customers, identified by a client group id.
async fn simple_group(rest: &RestClient, client_id: &str, users: &[&str]) -> ChannelFeed {
    rest.group_create(&NewGroup {
        group_name: format!("Group {client_id}"),
        client_group_id: Some(client_id.to_owned()),
        users: users
            .iter()
            .map(|u| GroupMember {
                user_id: (*u).to_owned(),
                group_role: group_role::MEMBER,
            })
            .collect(),
        ..NewGroup::default()
    })
    .await
    .expect("group created")
}

// ---------------------------------------------------------------------------------------
// Groups

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_create_add_member_and_leave_round_trip() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let group = alice
        .group_create(&NewGroup {
            group_name: "Launch plan".into(),
            client_group_id: Some("launch-plan".into()),
            kind: Some(group_type::PRIVATE),
            image_url: Some("https://example.com/launch.png".into()),
            metadata: meta(&[("project", "apollo")]),
            users: vec![
                GroupMember {
                    user_id: "customer-001".into(),
                    group_role: group_role::MEMBER,
                },
                GroupMember {
                    user_id: BOB.into(),
                    group_role: group_role::MODERATOR,
                },
            ],
        })
        .await
        .unwrap();
    assert!(group.id > 0);
    assert_eq!(group.name.as_deref(), Some("Launch plan"));
    assert_eq!(group.client_group_id.as_deref(), Some("launch-plan"));
    assert_eq!(group.kind, group_type::PRIVATE);
    assert_eq!(
        group.image_url.as_deref(),
        Some("https://example.com/launch.png")
    );
    assert_eq!(
        group.metadata.get("project").map(String::as_str),
        Some("apollo")
    );
    assert_eq!(group.admin_id.as_deref(), Some(ALICE));
    assert_eq!(members(&group), strings(&[ALICE, BOB, "customer-001"]));
    assert_eq!(group.user_count, 3);
    assert_eq!(role_of(&group, ALICE), Some(group_role::ADMIN));
    assert_eq!(role_of(&group, BOB), Some(group_role::MODERATOR));
    assert_eq!(role_of(&group, "customer-001"), Some(group_role::MEMBER));

    let by_client = GroupRef::Client("launch-plan".into());
    alice
        .group_add_member(&by_client, "customer-002", Some(group_role::MEMBER))
        .await
        .unwrap();
    assert!(alice
        .group_check_user(&by_client, "customer-002")
        .await
        .unwrap());
    let counts = alice
        .group_user_counts(&strings(&["launch-plan"]))
        .await
        .unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!(counts[0].id, group.id);
    assert_eq!(counts[0].client_group_id.as_deref(), Some("launch-plan"));
    assert_eq!(counts[0].user_count, 4);

    alice
        .group_remove_member(&GroupRef::Id(group.id), "customer-002")
        .await
        .unwrap();
    assert!(!alice
        .group_check_user(&by_client, "customer-002")
        .await
        .unwrap());

    // Bob leaves on his own.
    let bob = agent_rest(&sb, BOB).await;
    bob.group_leave(&GroupRef::Id(group.id)).await.unwrap();
    let after = alice.group_info_by(&by_client).await.unwrap();
    assert_eq!(members(&after), strings(&[ALICE, "customer-001"]));
    assert_eq!(after.user_count, 2);
    // Leaving again is refused: bob is no longer a member.
    let e = bob.group_leave(&GroupRef::Id(group.id)).await.unwrap_err();
    assert_forbidden(&e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_group_update_renames_merges_metadata_changes_roles_and_mutes() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let mut g = simple_group(&alice, "g-update", &["customer-001", "customer-002"]).await;
    let by_id = GroupRef::Id(g.id);
    alice
        .group_update(
            &by_id,
            &GroupChanges {
                metadata: Some(meta(&[("a", "1")])),
                ..GroupChanges::default()
            },
        )
        .await
        .unwrap();
    alice
        .group_update(
            &by_id,
            &GroupChanges {
                new_name: Some("Renamed".into()),
                image_url: Some("https://example.com/new.png".into()),
                metadata: Some(meta(&[("b", "2")])),
                users: vec![RoleChange {
                    user_id: "customer-002".into(),
                    role: group_role::ADMIN,
                }],
            },
        )
        .await
        .unwrap();
    g = alice.group_info(g.id).await.unwrap();
    assert_eq!(g.name.as_deref(), Some("Renamed"));
    assert_eq!(g.image_url.as_deref(), Some("https://example.com/new.png"));
    assert_eq!(g.metadata.get("a").map(String::as_str), Some("1"), "merged");
    assert_eq!(g.metadata.get("b").map(String::as_str), Some("2"));
    assert_eq!(role_of(&g, "customer-002"), Some(group_role::ADMIN));
    assert_eq!(role_of(&g, "customer-001"), Some(group_role::MEMBER));

    let until = parley_client::http::now_ms() + 3_600_000;
    alice.group_mute_until(&by_id, until).await.unwrap();
    let muted = alice.group_info(g.id).await.unwrap();
    assert_eq!(muted.notification_after_time, Some(until));
    alice.group_mute_until(&by_id, 0).await.unwrap();
    let unmuted = alice.group_info(g.id).await.unwrap();
    assert_eq!(unmuted.notification_after_time, Some(0));

    // A plain member may not change roles in a private group.
    let private = alice
        .group_create(&NewGroup {
            group_name: "Private".into(),
            kind: Some(group_type::PRIVATE),
            users: vec![GroupMember {
                user_id: "customer-003".into(),
                group_role: group_role::MEMBER,
            }],
            ..NewGroup::default()
        })
        .await
        .unwrap();
    let customer = customer_rest(&sb, "customer-003").await;
    let e = customer
        .group_update(
            &GroupRef::Id(private.id),
            &GroupChanges {
                users: vec![RoleChange {
                    user_id: "customer-003".into(),
                    role: group_role::ADMIN,
                }],
                ..GroupChanges::default()
            },
        )
        .await
        .unwrap_err();
    assert_forbidden(&e);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_users_are_added_to_and_removed_from_many_groups_at_once() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    simple_group(&alice, "many-1", &["customer-001"]).await;
    simple_group(&alice, "many-2", &["customer-001"]).await;
    let groups = strings(&["many-1", "many-2"]);
    alice
        .groups_add_users(&strings(&["customer-004", "customer-005"]), &groups)
        .await
        .unwrap();
    let counts = alice.group_user_counts(&groups).await.unwrap();
    assert_eq!(
        counts.iter().map(|c| c.user_count).collect::<Vec<_>>(),
        vec![4, 4]
    );
    alice
        .groups_remove_users(&strings(&["customer-004"]), &groups)
        .await
        .unwrap();
    let counts = alice.group_user_counts(&groups).await.unwrap();
    assert_eq!(
        counts.iter().map(|c| c.user_count).collect::<Vec<_>>(),
        vec![3, 3]
    );
    for g in &groups {
        let r = GroupRef::Client(g.clone());
        assert!(!alice.group_check_user(&r, "customer-004").await.unwrap());
        assert!(alice.group_check_user(&r, "customer-005").await.unwrap());
    }
    // Nothing is half-applied when one user is unknown.
    let e = alice
        .groups_add_users(&strings(&["customer-006", "nobody-at-all"]), &groups)
        .await
        .unwrap_err();
    assert_platform(&e, "AL-U-01");
    assert!(!alice
        .group_check_user(&GroupRef::Client("many-1".into()), "customer-006")
        .await
        .unwrap());
    // Empty lists are refused locally.
    assert!(matches!(
        alice.groups_add_users(&[], &groups).await,
        Err(ClientError::Invalid(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_deleted_groups_answer_group_not_found() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let one = simple_group(&alice, "del-1", &["customer-001"]).await;
    let two = simple_group(&alice, "del-2", &["customer-001"]).await;
    let three = simple_group(&alice, "del-3", &["customer-001"]).await;

    // A member who is not admin may not delete.
    let customer = customer_rest(&sb, "customer-001").await;
    let e = customer
        .group_delete(&GroupRef::Id(one.id))
        .await
        .unwrap_err();
    assert_forbidden(&e);

    alice.group_delete(&GroupRef::Id(one.id)).await.unwrap();
    let e = alice.group_info(one.id).await.unwrap_err();
    assert_platform(&e, "AL-G-01");

    alice
        .groups_delete(&[two.id], &strings(&["del-3"]))
        .await
        .unwrap();
    for id in [two.id, three.id] {
        let e = alice.group_info(id).await.unwrap_err();
        assert_platform(&e, "AL-G-01");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_unknown_group_and_unknown_user_map_to_platform_errors() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let missing = GroupRef::Id(987_654_321);
    for e in [
        alice.group_info_by(&missing).await.unwrap_err(),
        alice.group_info(987_654_321).await.unwrap_err(),
        alice
            .group_add_member(&missing, "customer-001", None)
            .await
            .unwrap_err(),
        alice
            .group_info_by(&GroupRef::Client("no-such-group".into()))
            .await
            .unwrap_err(),
        alice
            .group_user_counts(&strings(&["no-such-group"]))
            .await
            .unwrap_err(),
    ] {
        assert_platform(&e, "AL-G-01");
        assert!(!e.is_transient());
    }

    let g = simple_group(&alice, "known", &["customer-001"]).await;
    for e in [
        alice
            .group_add_member(&GroupRef::Id(g.id), "nobody-at-all", None)
            .await
            .unwrap_err(),
        alice.block_user("nobody-at-all").await.unwrap_err(),
        alice.mute_user_until("nobody-at-all", 1).await.unwrap_err(),
        alice
            .group_create(&NewGroup {
                group_name: "With a ghost".into(),
                users: vec![GroupMember {
                    user_id: "nobody-at-all".into(),
                    group_role: group_role::MEMBER,
                }],
                ..NewGroup::default()
            })
            .await
            .unwrap_err(),
    ] {
        assert_platform(&e, "AL-U-01");
    }
    // Unknown users are simply absent from detail lists.
    let found = alice
        .user_details_v2(&strings(&["nobody-at-all"]), &[])
        .await
        .unwrap();
    assert!(found.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_forbidden_actions_map_to_unauthorized() {
    let sb = demo().await;
    let customer = customer_rest(&sb, "customer-001").await;
    assert_forbidden(&customer.group_filter(10, None).await.unwrap_err());
    assert_forbidden(&customer.waiting_list(None).await.unwrap_err());
    assert_forbidden(&customer.create_tag("mine", None).await.unwrap_err());
    assert_forbidden(&customer.delete_tag(1).await.unwrap_err());
    // A group the customer is not in: cannot add people to it.
    let alice = agent_rest(&sb, ALICE).await;
    let g = alice
        .group_create(&NewGroup {
            group_name: "Agents only".into(),
            kind: Some(group_type::PRIVATE),
            users: vec![GroupMember {
                user_id: BOB.into(),
                group_role: group_role::MEMBER,
            }],
            ..NewGroup::default()
        })
        .await
        .unwrap();
    let e = customer
        .group_add_member(&GroupRef::Id(g.id), "customer-001", None)
        .await
        .unwrap_err();
    assert_forbidden(&e);
    // Nor see it.
    let e = customer.group_info(g.id).await.unwrap_err();
    assert_platform(&e, "AL-G-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_bot_pages_through_every_group_with_group_filter() {
    let sb = demo().await;
    let bot_info = sb.ready_info().bot.clone();
    let bot = rest_as(
        &sb,
        &bot_info.user_id,
        &bot_info.password,
        SignInRole::AppUser,
    )
    .await;
    let first = bot.group_filter(10, None).await.unwrap();
    assert_eq!(first.groups.len(), 10);
    assert_eq!(first.last_fetch_index, Some(9));
    let end = first.last_fetch_time.expect("a cursor");
    assert!(first
        .groups
        .iter()
        .all(|g| g.id > 0 && g.created_at_time >= end));
    let second = bot.group_filter(10, Some(end)).await.unwrap();
    assert_eq!(second.groups.len(), 10);
    assert!(second.groups.iter().all(|g| g.created_at_time < end));
    let first_ids: Vec<i64> = first.groups.iter().map(|g| g.id).collect();
    assert!(second.groups.iter().all(|g| !first_ids.contains(&g.id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_open_groups_are_listed_newest_first() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let seeded = alice.open_groups(50, None).await.unwrap();
    assert!(
        !seeded.group_pxys.is_empty(),
        "the demo seed has an open group"
    );
    assert!(seeded.group_pxys.iter().all(|g| g.kind == group_type::OPEN));
    let created = alice
        .group_create(&NewGroup {
            group_name: "Town square".into(),
            kind: Some(group_type::OPEN),
            ..NewGroup::default()
        })
        .await
        .unwrap();
    let customer = customer_rest(&sb, "customer-009").await;
    let page = customer.open_groups(1, None).await.unwrap();
    assert_eq!(page.group_pxys.len(), 1);
    assert_eq!(page.group_pxys[0].id, created.id);
    assert_eq!(page.group_pxys[0].name.as_deref(), Some("Town square"));
    let next = customer
        .open_groups(50, page.last_fetch_time)
        .await
        .unwrap();
    assert_eq!(next.group_pxys.len(), seeded.group_pxys.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_leave_all_groups_removes_the_caller_from_ordinary_groups() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    simple_group(&alice, "all-1", &["customer-007"]).await;
    simple_group(&alice, "all-2", &["customer-007"]).await;
    let customer = customer_rest(&sb, "customer-007").await;
    customer.leave_all_groups().await.unwrap();
    for g in ["all-1", "all-2"] {
        assert!(!alice
            .group_check_user(&GroupRef::Client(g.into()), "customer-007")
            .await
            .unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_contact_lists_add_get_remove_and_delete() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let name = "Best friends / 2024";
    alice
        .contact_list_add(name, &strings(&["customer-001", "customer-002"]))
        .await
        .unwrap();
    // Adding again (one new, one already there) keeps one entry each.
    alice
        .contact_list_add(name, &strings(&["customer-002", "customer-003"]))
        .await
        .unwrap();
    let list = alice
        .contact_list_get(name, ContactList::Private)
        .await
        .unwrap();
    assert_eq!(list.kind, 8);
    assert_eq!(list.name.as_deref(), Some(name));
    assert_eq!(
        members(&list),
        strings(&[ALICE, "customer-001", "customer-002", "customer-003"])
    );
    alice
        .contact_list_remove(name, ContactList::Private, "customer-002")
        .await
        .unwrap();
    let list = alice
        .contact_list_get(name, ContactList::Private)
        .await
        .unwrap();
    assert_eq!(
        members(&list),
        strings(&[ALICE, "customer-001", "customer-003"])
    );
    // Lists are per owner: bob has none by that name.
    let bob = agent_rest(&sb, BOB).await;
    let e = bob
        .contact_list_get(name, ContactList::Private)
        .await
        .unwrap_err();
    assert_platform(&e, "AL-G-01");
    alice
        .contact_list_delete(name, ContactList::Private)
        .await
        .unwrap();
    let e = alice
        .contact_list_get(name, ContactList::Private)
        .await
        .unwrap_err();
    assert_platform(&e, "AL-G-01");

    // An open list is shared by its members; only its owner deletes it.
    alice
        .open_list_add_members("Night shift", &strings(&[BOB]))
        .await
        .unwrap();
    let shared = bob
        .contact_list_get("Night shift", ContactList::Open)
        .await
        .unwrap();
    assert_eq!(shared.kind, 9);
    assert_eq!(members(&shared), strings(&[ALICE, BOB]));
    let e = bob
        .contact_list_delete("Night shift", ContactList::Open)
        .await
        .unwrap_err();
    assert_forbidden(&e);
    alice
        .contact_list_delete("Night shift", ContactList::Open)
        .await
        .unwrap();
    assert!(matches!(
        alice.contact_list_get(" ", ContactList::Open).await,
        Err(ClientError::Invalid(_))
    ));
}

// ---------------------------------------------------------------------------------------
// Users

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_user_details_v2_find_users_by_id_and_phone() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let by_id = alice
        .user_details_v2(&strings(&["customer-001", BOB]), &[])
        .await
        .unwrap();
    let mut ids: Vec<&str> = by_id.iter().filter_map(|u| u.user_id.as_deref()).collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![BOB, "customer-001"]);
    let bob = by_id
        .iter()
        .find(|u| u.user_id.as_deref() == Some(BOB))
        .unwrap();
    assert!(bob.display_name.is_some());

    // Give a customer a phone number, then find them by it.
    let customer = customer_rest(&sb, "customer-002").await;
    customer
        .update_profile(&ProfileUpdate {
            phone_number: Some("+15550100200".into()),
            ..ProfileUpdate::default()
        })
        .await
        .unwrap();
    let by_phone = alice
        .user_details_v2(&[], &strings(&["+15550100200"]))
        .await
        .unwrap();
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].user_id.as_deref(), Some("customer-002"));
    assert_eq!(by_phone[0].phone_number.as_deref(), Some("+15550100200"));
    assert!(alice.user_details_v2(&[], &[]).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_profile_update_sets_fields_and_merges_metadata() {
    let sb = demo().await;
    let customer = customer_rest(&sb, "customer-003").await;
    let before = customer
        .user_details_v2(&strings(&["customer-003"]), &[])
        .await
        .unwrap();
    let old_email = before[0].email.clone();
    customer
        .update_profile(&ProfileUpdate {
            display_name: Some("Dana Q.".into()),
            status_message: Some("On holiday".into()),
            image_link: Some("https://example.com/dana.png".into()),
            metadata: meta(&[("plan", "gold")]),
            ..ProfileUpdate::default()
        })
        .await
        .unwrap();
    customer
        .update_profile(&ProfileUpdate {
            metadata: meta(&[("seats", "5")]),
            ..ProfileUpdate::default()
        })
        .await
        .unwrap();
    let after = customer
        .user_details_v2(&strings(&["customer-003"]), &[])
        .await
        .unwrap();
    let u = &after[0];
    assert_eq!(u.display_name.as_deref(), Some("Dana Q."));
    assert_eq!(u.status_message.as_deref(), Some("On holiday"));
    assert_eq!(
        u.image_link.as_deref(),
        Some("https://example.com/dana.png")
    );
    assert_eq!(u.email, old_email, "unset fields are kept");
    assert_eq!(u.metadata.get("plan").map(String::as_str), Some("gold"));
    assert_eq!(u.metadata.get("seats").map(String::as_str), Some("5"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_update_password_checks_the_old_one() {
    let sb = demo().await;
    let customer = customer_rest(&sb, "customer-004").await;
    let e = customer
        .update_password(&Secret::new("wrong"), &Secret::new("new-pass"))
        .await
        .unwrap_err();
    assert!(matches!(e, ClientError::Unauthorized(_)), "{e:?}");
    customer
        .update_password(&Secret::new(CUSTOMER_PW), &Secret::new("new-pass-123"))
        .await
        .unwrap();
    // The new password signs in.
    rest_as(&sb, "customer-004", "new-pass-123", SignInRole::AppUser).await;
    assert!(matches!(
        customer
            .update_password(&Secret::new("x"), &Secret::new(String::new()))
            .await,
        Err(ClientError::Invalid(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_block_unblock_and_blocked_sync_from_both_sides() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let customer = customer_rest(&sb, "customer-005").await;
    alice.block_user("customer-005").await.unwrap();
    let (sync, cursor) = alice.blocked_sync(0).await.unwrap();
    assert!(cursor > 0);
    assert!(sync.blocked_by_user_list.is_empty());
    assert_eq!(sync.blocked_to_user_list.len(), 1);
    let entry = &sync.blocked_to_user_list[0];
    assert_eq!(entry.blocked_to.as_deref(), Some("customer-005"));
    assert!(entry.user_blocked);
    assert!(entry.updated_at_time > 0);

    let (theirs, _) = customer.blocked_sync(0).await.unwrap();
    assert_eq!(theirs.blocked_by_user_list.len(), 1);
    assert_eq!(
        theirs.blocked_by_user_list[0].blocked_by.as_deref(),
        Some(ALICE)
    );
    // The blocked customer cannot write to alice 1:1.
    let e = customer
        .send_message_v2(&OutgoingMessage::text(&Thread::User(ALICE.into()), "hi?"))
        .await
        .unwrap_err();
    assert_forbidden(&e);

    alice.unblock_user("customer-005").await.unwrap();
    let (delta, _) = alice.blocked_sync(cursor).await.unwrap();
    assert_eq!(delta.blocked_to_user_list.len(), 1);
    assert!(!delta.blocked_to_user_list[0].user_blocked);
    customer
        .send_message_v2(&OutgoingMessage::text(&Thread::User(ALICE.into()), "hi!"))
        .await
        .unwrap();
    // Blocking oneself is refused as invalid input.
    assert_platform(&alice.block_user(ALICE).await.unwrap_err(), "AL-IP-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_mute_user_until_shows_in_the_mute_list() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    assert!(alice.muted_users().await.unwrap().is_empty());
    let until = parley_client::http::now_ms() + 86_400_000;
    alice.mute_user_until("customer-002", until).await.unwrap();
    alice.mute_user_until("customer-001", until).await.unwrap();
    let list = alice.muted_users().await.unwrap();
    assert_eq!(
        list.iter()
            .map(|m| (
                m.user_id.as_deref().unwrap_or(""),
                m.notification_after_time
            ))
            .collect::<Vec<_>>(),
        vec![("customer-001", until), ("customer-002", until)]
    );
    alice.mute_user_until("customer-001", 0).await.unwrap();
    let list = alice.muted_users().await.unwrap();
    assert_eq!(list[0].notification_after_time, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_user_filter_pages_by_role_and_excludes_the_caller() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let agents = alice
        .user_filter(&UserFilter {
            role: Some("AGENT".into()),
            ..UserFilter::default()
        })
        .await
        .unwrap();
    let mut ids: Vec<&str> = agents
        .users
        .iter()
        .filter_map(|u| u.user_id.as_deref())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, vec![BOB, CAROL]);
    assert!(agents.users.iter().all(|u| u.role_type == 8));

    let first = alice
        .user_filter(&UserFilter {
            page_size: Some(5),
            ..UserFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(first.users.len(), 5);
    let cursor = first.last_fetch_time.expect("a cursor");
    let second = alice
        .user_filter(&UserFilter {
            page_size: Some(5),
            start_time: Some(cursor),
            ..UserFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(second.users.len(), 5);
    let seen: Vec<_> = first.users.iter().map(|u| u.user_id.clone()).collect();
    assert!(second.users.iter().all(|u| !seen.contains(&u.user_id)));

    let one = alice
        .user_filter(&UserFilter {
            user_id: Some("customer-010".into()),
            ..UserFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(one.users.len(), 1);
    let e = alice
        .user_filter(&UserFilter {
            role: Some("WIZARD".into()),
            ..UserFilter::default()
        })
        .await
        .unwrap_err();
    assert_platform(&e, "AL-IP-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_presence_since_and_online_list_show_a_connected_agent() {
    let sb = demo().await;
    let before = parley_client::http::now_ms();
    let a = agent(&sb, sb.http_url(), sb.mqtt_url()).await;
    a.client.wait_online(Duration::from_secs(20)).await.unwrap();
    let rest = a.client.rest().unwrap().clone();
    eventually(10, "alice listed online", || {
        let rest = rest.clone();
        async move {
            rest.online_users(0, 500).await.is_ok_and(|users| {
                users
                    .iter()
                    .any(|u| u.user_id.as_deref() == Some(ALICE) && u.connected)
            })
        }
    })
    .await;
    let (changed, cursor) = rest.user_presence_since(before - 1).await.unwrap();
    let me = changed
        .iter()
        .find(|u| u.user_id.as_deref() == Some(ALICE))
        .expect("alice's presence changed");
    assert!(me.last_seen_at_time.is_some_and(|t| t >= before - 1));
    assert!(cursor >= before);
    let (later, _) = rest.user_presence_since(cursor).await.unwrap();
    assert!(later.iter().all(|u| u.user_id.as_deref() != Some(ALICE)));
    a.client.stop().await;
}

// ---------------------------------------------------------------------------------------
// Messages

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_send_v2_reaches_user_group_and_client_group_and_details_find_them() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let g = simple_group(&alice, "send-v2", &["customer-001"]).await;
    let mut keys = Vec::new();
    for (thread, text) in [
        (Thread::User("customer-001".into()), "one to one"),
        (Thread::Group(g.id), "by group id"),
        (Thread::ClientGroup("send-v2".into()), "by client group id"),
    ] {
        let mut m = OutgoingMessage::text(&thread, text);
        m.metadata = meta(&[("origin", "contract")]);
        let r = alice.send_message_v2(&m).await.unwrap();
        assert!(r.created_at > 0);
        keys.push(r.message_key.unwrap());
    }
    let mut asked = keys.clone();
    asked.push("no-such-key".into());
    let page = alice.message_details(&asked).await.unwrap();
    assert_eq!(page.message.len(), 3, "unknown keys are left out");
    for (key, text) in keys
        .iter()
        .zip(["one to one", "by group id", "by client group id"])
    {
        let m = page
            .message
            .iter()
            .find(|m| m.key.as_deref() == Some(key))
            .unwrap_or_else(|| panic!("{key} in details"));
        assert_eq!(m.message.as_deref(), Some(text));
        assert_eq!(
            m.metadata.get("origin").map(String::as_str),
            Some("contract")
        );
    }
    let in_group: Vec<_> = page
        .message
        .iter()
        .filter(|m| m.group_id == Some(g.id))
        .collect();
    assert_eq!(in_group.len(), 2);
    // The customer sees the 1:1 message in their thread with alice.
    let customer = customer_rest(&sb, "customer-001").await;
    let thread = customer
        .thread_page(&Thread::User(ALICE.into()), None, 50)
        .await
        .unwrap();
    // 1:1 messages have one key per side; the customer's copy points at alice's.
    let theirs = thread
        .message
        .iter()
        .find(|m| m.message.as_deref() == Some("one to one"))
        .expect("the customer has the message");
    assert_eq!(theirs.paired_message_key.as_deref(), Some(keys[0].as_str()));
    assert_ne!(theirs.key.as_deref(), Some(keys[0].as_str()));

    // Exactly one target is required, checked before sending.
    let mut two = OutgoingMessage::text(&Thread::Group(g.id), "x");
    two.to = Some("customer-001".into());
    assert!(matches!(
        alice.send_message_v2(&two).await,
        Err(ClientError::Invalid(_))
    ));
    assert!(alice.message_details(&[]).await.unwrap().message.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_broadcast_sends_one_message_per_recipient() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    simple_group(&alice, "bc-1", &["customer-001"]).await;
    let keys = alice
        .send_broadcast(&Broadcast {
            user_names: strings(&["customer-002", "customer-003"]),
            client_group_ids: strings(&["bc-1"]),
            message_object: BroadcastMessage {
                message: "Maintenance tonight".into(),
                content_type: 0,
                metadata: meta(&[("kind", "notice")]),
            },
        })
        .await
        .unwrap();
    assert_eq!(keys.len(), 3);
    let page = alice.message_details(&keys).await.unwrap();
    assert_eq!(page.message.len(), 3);
    assert!(page
        .message
        .iter()
        .all(|m| m.message.as_deref() == Some("Maintenance tonight")
            && m.metadata.get("kind").map(String::as_str) == Some("notice")));
    let e = alice
        .send_broadcast(&Broadcast {
            user_names: strings(&["nobody-at-all"]),
            ..Broadcast::default()
        })
        .await
        .unwrap_err();
    assert_platform(&e, "AL-U-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_delivered_and_read_receipts_of_one_message() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let customer = customer_rest(&sb, "customer-006").await;
    let sent = customer
        .send_message_v2(&OutgoingMessage::text(
            &Thread::User(ALICE.into()),
            "did you get this?",
        ))
        .await
        .unwrap();
    let key = sent.message_key.unwrap();
    let status_of_alice = |list: &[parley_client::api::RecipientStatus]| {
        list.iter()
            .find(|r| r.user_id.as_deref() == Some(ALICE))
            .map(|r| r.status)
    };
    let info = customer.message_info(&key).await.unwrap();
    assert_eq!(status_of_alice(&info), Some(3), "sent");
    alice.mark_message_delivered(&key).await.unwrap();
    let info = customer.message_info(&key).await.unwrap();
    assert_eq!(status_of_alice(&info), Some(4), "delivered");
    alice.mark_message_read(&key).await.unwrap();
    let info = customer.message_info(&key).await.unwrap();
    assert_eq!(status_of_alice(&info), Some(1), "read");
    let e = alice.mark_message_read("no-such-key").await.unwrap_err();
    assert_platform(&e, "AL-M-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_message_metadata_update_merges() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let mut m = OutgoingMessage::text(&Thread::User("customer-001".into()), "rate us");
    m.metadata = meta(&[("a", "1")]);
    let key = alice
        .send_message_v2(&m)
        .await
        .unwrap()
        .message_key
        .unwrap();
    alice
        .update_message_metadata(&key, &meta(&[("b", "2"), ("a", "3")]))
        .await
        .unwrap();
    let page = alice
        .message_details(std::slice::from_ref(&key))
        .await
        .unwrap();
    let got = &page.message[0].metadata;
    assert_eq!(got.get("a").map(String::as_str), Some("3"));
    assert_eq!(got.get("b").map(String::as_str), Some("2"));
    let e = alice
        .update_message_metadata("no-such-key", &meta(&[("x", "y")]))
        .await
        .unwrap_err();
    assert_platform(&e, "AL-M-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_deleting_threads_hides_them_for_the_caller_only() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let customer = customer_rest(&sb, "customer-008").await;
    let peer = Thread::User("customer-008".into());
    alice
        .send_message_v2(&OutgoingMessage::text(&peer, "hello"))
        .await
        .unwrap();
    let g = simple_group(&alice, "hide-me", &["customer-008"]).await;
    alice
        .send_message_v2(&OutgoingMessage::text(&Thread::Group(g.id), "group hello"))
        .await
        .unwrap();
    // Reading and resetting counters work on any thread.
    customer
        .mark_thread_read(&Thread::User(ALICE.into()))
        .await
        .unwrap();
    customer.reset_unread_counts().await.unwrap();
    let seen = customer.group_info(g.id).await.unwrap();
    assert_eq!(seen.unread_count, 0);

    alice.delete_thread(&peer).await.unwrap();
    assert!(alice
        .thread_page(&peer, None, 50)
        .await
        .unwrap()
        .message
        .is_empty());
    assert!(!customer
        .thread_page(&Thread::User(ALICE.into()), None, 50)
        .await
        .unwrap()
        .message
        .is_empty());

    customer.delete_all_threads().await.unwrap();
    assert!(customer
        .thread_page(&Thread::Group(g.id), None, 50)
        .await
        .unwrap()
        .message
        .is_empty());
    assert!(!alice
        .thread_page(&Thread::Group(g.id), None, 50)
        .await
        .unwrap()
        .message
        .is_empty());

    // Older than 0 days = everything up to now.
    alice.delete_messages_older_than(0).await.unwrap();
    assert!(alice
        .thread_page(&Thread::Group(g.id), None, 50)
        .await
        .unwrap()
        .message
        .is_empty());
    assert!(matches!(
        alice.delete_messages_older_than(40_000).await,
        Err(ClientError::Invalid(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_recent_threads_and_group_list_since_follow_new_activity() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let (_, cursor) = alice.group_list_since(0).await.unwrap();
    assert!(cursor > 0);
    let g = simple_group(&alice, "fresh", &["customer-001"]).await;
    let (changed, next) = alice.group_list_since(cursor).await.unwrap();
    assert_eq!(changed.iter().map(|c| c.id).collect::<Vec<_>>(), vec![g.id]);
    assert!(next >= cursor);
    alice.group_delete(&GroupRef::Id(g.id)).await.unwrap();
    let (gone, _) = alice.group_list_since(next).await.unwrap();
    assert_eq!(gone.len(), 1);
    assert!(gone[0].deleted_at_time.is_some(), "deletions are reported");

    let key = alice
        .send_message_v2(&OutgoingMessage::text(
            &Thread::User("customer-009".into()),
            "latest of all",
        ))
        .await
        .unwrap()
        .message_key
        .unwrap();
    let recent = alice.recent_threads(5, None).await.unwrap();
    assert!(!recent.message.is_empty() && recent.message.len() <= 5);
    assert_eq!(recent.message[0].key.as_deref(), Some(key.as_str()));
    let older = alice
        .recent_threads(5, Some(recent.message[0].created_at_time))
        .await
        .unwrap();
    assert!(older
        .message
        .iter()
        .all(|m| m.key.as_deref() != Some(key.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_topic_conversations_are_reused_renewed_and_closed() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let request = |mode| TopicRequest {
        topic_id: "order-1234".into(),
        topic_detail: Some("{\"title\":\"Order 1234\"}".into()),
        with: TopicPeer::User("customer-002".into()),
        mode,
    };
    let first = alice
        .topic_conversation(&request(TopicMode::Default))
        .await
        .unwrap();
    let c = &first.conversation_pxy;
    assert!(c.created && !c.closed);
    assert_eq!(c.topic_id.as_deref(), Some("order-1234"));
    assert_eq!(c.user_id.as_deref(), Some("customer-002"));
    assert_eq!(c.sender_user_name.as_deref(), Some(ALICE));
    assert_eq!(c.group_id, first.group.id);
    assert_eq!(first.group.kind, 7, "1:1 topics live in a type-7 group");
    assert_eq!(members(&first.group), strings(&[ALICE, "customer-002"]));

    let again = alice
        .topic_conversation(&request(TopicMode::Default))
        .await
        .unwrap();
    assert_eq!(again.conversation_pxy.id, c.id);
    assert!(!again.conversation_pxy.created);

    // A message can be filed under the conversation.
    let mut m = OutgoingMessage::text(&Thread::User("customer-002".into()), "about your order");
    m.conversation_id = Some(c.id);
    alice.send_message_v2(&m).await.unwrap();

    let renewed = alice
        .topic_conversation(&request(TopicMode::New))
        .await
        .unwrap();
    assert_ne!(renewed.conversation_pxy.id, c.id);
    assert!(renewed.conversation_pxy.created);

    alice
        .close_topic_conversations("order-1234", "customer-002")
        .await
        .unwrap();
    let reopened = alice
        .topic_conversation(&request(TopicMode::Open))
        .await
        .unwrap();
    assert_eq!(reopened.conversation_pxy.id, renewed.conversation_pxy.id);
    assert!(!reopened.conversation_pxy.closed);

    // An unknown conversation id on a message is refused.
    m.conversation_id = Some(987_654);
    assert_platform(&alice.send_message_v2(&m).await.unwrap_err(), "AL-C-01");
}

// ---------------------------------------------------------------------------------------
// Kommunicate

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_create_conversation_skips_routing_or_routes_to_an_agent() {
    let sb = demo().await;
    let customer = customer_rest(&sb, "customer-002").await;
    let assigned = customer
        .create_conversation(&NewConversation {
            title: "Refund please".into(),
            members: strings(&[BOB]),
            skip_routing: true,
            assignee: Some(BOB.into()),
            metadata: meta(&[("source", "contract")]),
            ..NewConversation::default()
        })
        .await
        .unwrap();
    assert_eq!(assigned.kind, group_type::SUPPORT);
    assert_eq!(assigned.name.as_deref(), Some("Refund please"));
    let m = &assigned.metadata;
    assert_eq!(
        m.get("CONVERSATION_ASSIGNEE").map(String::as_str),
        Some(BOB)
    );
    assert_eq!(m.get("SKIP_ROUTING").map(String::as_str), Some("true"));
    assert_eq!(m.get("CONVERSATION_STATUS").map(String::as_str), Some("0"));
    assert_eq!(
        m.get("KM_CONVERSATION_TITLE").map(String::as_str),
        Some("Refund please")
    );
    assert_eq!(m.get("source").map(String::as_str), Some("contract"));
    assert_eq!(members(&assigned), strings(&[BOB, "customer-002"]));
    assert_eq!(role_of(&assigned, BOB), Some(group_role::ADMIN));

    let routed = customer
        .create_conversation(&NewConversation {
            title: "Routed".into(),
            ..NewConversation::default()
        })
        .await
        .unwrap();
    let agent = routed
        .metadata
        .get("CONVERSATION_ASSIGNEE")
        .cloned()
        .expect("routed to someone");
    assert!([ALICE, BOB, CAROL].contains(&agent.as_str()), "{agent}");
    assert!(routed.members_id.contains(&agent));
    assert_eq!(
        routed.metadata.get("SKIP_ROUTING").map(String::as_str),
        Some("false")
    );

    let unassigned = customer
        .create_conversation(&NewConversation {
            title: "Nobody yet".into(),
            skip_routing: true,
            ..NewConversation::default()
        })
        .await
        .unwrap();
    assert!(!unassigned.metadata.contains_key("CONVERSATION_ASSIGNEE"));
    assert_eq!(members(&unassigned), strings(&["customer-002"]));

    let e = customer
        .create_conversation(&NewConversation {
            title: "Bad".into(),
            skip_routing: true,
            assignee: Some(CAROL.into()),
            ..NewConversation::default()
        })
        .await
        .unwrap_err();
    assert_platform(&e, "AL-IP-01");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_teams_and_the_waiting_list() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let teams = alice.teams().await.unwrap();
    let summary: Vec<(Option<&str>, Option<&str>, Vec<String>)> = teams
        .iter()
        .map(|t| {
            (
                t.team_id.as_deref(),
                t.team_name.as_deref(),
                t.team_members.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (Some("billing"), Some("Billing"), strings(&[CAROL])),
            (Some("support"), Some("Support"), strings(&[ALICE, BOB])),
        ]
    );
    assert!(teams.iter().all(|t| t.agent_routing == 1));

    let waiting = alice.waiting_list(None).await.unwrap();
    assert!(
        !waiting.is_empty(),
        "the demo seed has waiting conversations"
    );
    for id in waiting.iter().take(5) {
        let g = alice.group_info(*id).await.unwrap();
        assert_eq!(g.kind, group_type::SUPPORT);
        assert_eq!(
            g.metadata.get("CONVERSATION_STATUS").map(String::as_str),
            Some("7")
        );
    }
    let support = alice.waiting_list(Some("support")).await.unwrap();
    let billing = alice.waiting_list(Some("billing")).await.unwrap();
    assert!(support.len() + billing.len() <= waiting.len());
    assert!(support.iter().all(|id| waiting.contains(id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_tags_create_update_delete_and_tag_a_conversation() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let seeded = alice.tags().await.unwrap();
    let names: Vec<&str> = seeded.iter().filter_map(|t| t.name.as_deref()).collect();
    assert_eq!(
        names,
        vec!["billing", "bug", "feature-request", "urgent", "vip"]
    );
    assert!(seeded.iter().all(|t| t.id > 0 && t.color.is_some()));

    let tag = alice
        .create_tag("escalated", Some("#000000"))
        .await
        .unwrap();
    assert!(tag.id > 0);
    assert_eq!(tag.name.as_deref(), Some("escalated"));
    assert_eq!(tag.color.as_deref(), Some("#000000"));
    assert_eq!(tag.created_by.as_deref(), Some(ALICE));
    assert_platform(
        &alice.create_tag("escalated", None).await.unwrap_err(),
        "AL-T-02",
    );
    alice
        .update_tag(tag.id, None, Some("#ffffff"))
        .await
        .unwrap();
    let now = alice.tags().await.unwrap();
    let updated = now.iter().find(|t| t.id == tag.id).unwrap();
    assert_eq!(updated.color.as_deref(), Some("#ffffff"));
    assert_eq!(updated.name.as_deref(), Some("escalated"));

    // Tag a conversation; the tags live in KM_TAGS.
    let conv = Customer::sign_in(&sb, "customer-001", Some(CUSTOMER_PW))
        .await
        .start_conversation("Tag me", ALICE)
        .await;
    alice
        .group_add_tags(conv, &[tag.id, seeded[0].id])
        .await
        .unwrap();
    let tags_of = |g: &ChannelFeed| -> Vec<i64> {
        let raw = g.metadata.get("KM_TAGS").cloned().unwrap_or_default();
        let list: Vec<parley_client::api_kommunicate::Tag> =
            serde_json::from_str(&raw).unwrap_or_default();
        let mut ids: Vec<i64> = list.iter().map(|t| t.id).collect();
        ids.sort_unstable();
        ids
    };
    let mut both = vec![tag.id, seeded[0].id];
    both.sort_unstable();
    assert_eq!(tags_of(&alice.group_info(conv).await.unwrap()), both);
    alice.group_remove_tags(conv, &[tag.id]).await.unwrap();
    assert_eq!(
        tags_of(&alice.group_info(conv).await.unwrap()),
        vec![seeded[0].id]
    );
    assert_platform(
        &alice.group_add_tags(conv, &[999_999]).await.unwrap_err(),
        "AL-T-01",
    );

    alice.delete_tag(tag.id).await.unwrap();
    assert_platform(&alice.delete_tag(tag.id).await.unwrap_err(), "AL-T-01");
    assert_platform(
        &alice
            .update_tag(tag.id, Some("gone"), None)
            .await
            .unwrap_err(),
        "AL-T-01",
    );
    assert!(alice.tags().await.unwrap().iter().all(|t| t.id != tag.id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_kommunicate_users_lists_agents_and_finds_one_by_name() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let agents = alice
        .kommunicate_users(&KmUserQuery::Roles(Vec::new()))
        .await
        .unwrap();
    let ids: Vec<&str> = agents
        .iter()
        .filter_map(|u| u.user_name.as_deref())
        .collect();
    assert_eq!(ids, vec![ALICE, BOB, CAROL]);
    assert!(agents
        .iter()
        .all(|u| u.role_type == 8 && u.application_id.as_deref() == Some(sb.application_id())));
    let one = alice
        .kommunicate_users(&KmUserQuery::Name("customer-001".into()))
        .await
        .unwrap();
    assert_eq!(one.len(), 1);
    assert_eq!(one[0].user_name.as_deref(), Some("customer-001"));
    assert_eq!(one[0].role_type, 3);
    let bots = alice
        .kommunicate_users(&KmUserQuery::Roles(vec![1]))
        .await
        .unwrap();
    assert!(bots
        .iter()
        .any(|u| u.user_name.as_deref() == Some(sb.ready_info().bot.user_id.as_str())));
}

// ---------------------------------------------------------------------------------------
// Files

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_upload_file_then_url_download_with_cap_and_delete() {
    let sb = demo().await;
    let alice = agent_rest(&sb, ALICE).await;
    let png: Vec<u8> = b"\x89PNG\r\n\x1a\n"
        .iter()
        .copied()
        .chain((0..4_000u32).map(|i| (i % 251) as u8))
        .collect();
    let url = alice
        .upload_file("avatar.png", "image/png", bytes::Bytes::from(png.clone()))
        .await
        .unwrap();
    assert!(url.starts_with(sb.http_url()), "{url}");
    let blob = url.rsplit('/').next().unwrap().to_owned();
    assert!(!blob.is_empty());
    assert_eq!(alice.file_url(&blob).await.unwrap(), url);

    let got = alice.download_file(&blob, 1 << 20).await.unwrap();
    assert_eq!(got.bytes.as_ref(), png.as_slice());
    assert_eq!(got.content_type.as_deref(), Some("image/png"));
    let e = alice.download_file(&blob, 100).await.unwrap_err();
    assert!(matches!(e, ClientError::Http { status: 413, .. }), "{e:?}");
    assert!(matches!(
        alice.download_file("../etc/passwd", 100).await,
        Err(ClientError::Invalid(_))
    ));

    // The profile image can point at it.
    alice
        .update_profile(&ProfileUpdate {
            image_link: Some(url.clone()),
            ..ProfileUpdate::default()
        })
        .await
        .unwrap();

    // Only the uploader deletes.
    let bob = agent_rest(&sb, BOB).await;
    assert_forbidden(&bob.delete_file(&blob).await.unwrap_err());
    alice.delete_file(&blob).await.unwrap();
    assert_platform(&alice.file_url(&blob).await.unwrap_err(), "AL-F-01");
    assert_platform(
        &alice.download_file(&blob, 1 << 20).await.unwrap_err(),
        "AL-F-01",
    );
    assert_platform(&alice.delete_file(&blob).await.unwrap_err(), "AL-F-01");
}
