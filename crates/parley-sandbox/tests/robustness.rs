//! Every route, fed garbage with and without credentials: never a 5xx, never a hang.

mod common;

use common::*;
use reqwest::Method;

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/rest/ws/register/client"),
    ("POST", "/rest/ws/register/refresh/token"),
    ("POST", "/rest/ws/device/logout"),
    ("POST", "/rest/ws/loginv2"),
    ("POST", "/v2/tab/initialize.page"),
    ("POST", "/rest/ws/message/send"),
    ("POST", "/rest/ws/message/v2/send"),
    ("POST", "/rest/ws/message/sendall"),
    ("POST", "/rest/ws/message/dispatch"),
    ("GET", "/rest/ws/message/sync"),
    ("GET", "/rest/ws/message/list"),
    ("GET", "/rest/ws/message/v3/list"),
    ("GET", "/rest/ws/message/read/conversation"),
    ("GET", "/rest/ws/message/read"),
    ("GET", "/rest/ws/message/delivered"),
    ("GET", "/rest/ws/message/delete"),
    ("GET", "/rest/ws/message/delete/conversation"),
    ("GET", "/rest/ws/message/delete/all"),
    ("GET", "/rest/ws/message/info"),
    ("GET", "/rest/ws/message/detail"),
    ("POST", "/rest/ws/message/update/metadata"),
    ("POST", "/rest/ws/user/messages/delete"),
    ("GET", "/rest/ws/user/read"),
    ("POST", "/rest/ws/group/v2/create"),
    ("POST", "/rest/ws/group/v2.1/create"),
    ("GET", "/rest/ws/group/info"),
    ("GET", "/rest/ws/group/v2/list"),
    ("GET", "/rest/ws/group/v5/list"),
    ("POST", "/rest/ws/group/add/member"),
    ("GET", "/rest/ws/group/add/member"),
    ("POST", "/rest/ws/group/remove/member"),
    ("POST", "/rest/ws/group/left"),
    ("POST", "/rest/ws/group/add/users"),
    ("POST", "/rest/ws/group/remove/users"),
    ("POST", "/rest/ws/group/update"),
    ("POST", "/rest/ws/group/user/update"),
    ("GET", "/rest/ws/group/check/user"),
    ("GET", "/rest/ws/group/user/count"),
    ("GET", "/rest/ws/group/delete"),
    ("GET", "/rest/ws/group/multiple/delete"),
    ("GET", "/rest/ws/group/v2/channel"),
    ("GET", "/rest/ws/group/filter"),
    ("GET", "/rest/ws/user/remove/group/all"),
    ("POST", "/rest/ws/group/x/add"),
    ("POST", "/rest/ws/group/x/add/members"),
    ("GET", "/rest/ws/group/x/get"),
    ("GET", "/rest/ws/group/x/remove"),
    ("GET", "/rest/ws/group/x/delete"),
    ("POST", "/rest/ws/conversation/v2/id"),
    ("GET", "/rest/ws/conversation/closeall"),
    ("POST", "/rest/ws/group/conversation"),
    ("PATCH", "/rest/ws/group/status/change"),
    ("PATCH", "/rest/ws/group/assignee/change"),
    ("GET", "/rest/ws/group/support"),
    ("GET", "/rest/ws/group/support/assigned"),
    ("GET", "/rest/ws/group/waiting/list"),
    ("PATCH", "/rest/ws/group/add/tags"),
    ("PATCH", "/rest/ws/group/remove/tags"),
    ("GET", "/rest/ws/team/list"),
    ("GET", "/rest/ws/tags"),
    ("POST", "/rest/ws/tags"),
    ("PATCH", "/rest/ws/tags"),
    ("DELETE", "/rest/ws/tags"),
    ("GET", "/rest/ws/user/detail"),
    ("POST", "/rest/ws/user/v2/detail"),
    ("GET", "/rest/ws/user/status"),
    ("GET", "/rest/ws/user/ol/list"),
    ("POST", "/rest/ws/user/update"),
    ("GET", "/rest/ws/user/update/password"),
    ("GET", "/rest/ws/user/set/password"),
    ("POST", "/rest/ws/user/v2/create"),
    ("GET", "/rest/ws/user/filter"),
    ("GET", "/rest/ws/user/block"),
    ("GET", "/rest/ws/user/unblock"),
    ("GET", "/rest/ws/user/blocked/sync"),
    ("POST", "/rest/ws/user/chat/mute"),
    ("GET", "/rest/ws/user/chat/mute/list"),
    ("PATCH", "/rest/ws/users/status"),
    ("GET", "/users/list"),
    ("POST", "/rest/ws/upload/image"),
    ("POST", "/rest/ws/upload/file"),
    ("GET", "/rest/ws/aws/file/url"),
    ("POST", "/files/upload/"),
    ("GET", "/rest/ws/aws/file/abc"),
    ("GET", "/rest/ws/file/url"),
    ("GET", "/rest/ws/file/delete"),
    ("GET", "/rest/ws/analytics/message"),
];

const QUERIES: &[&str] = &[
    "",
    "?groupId=abc&userId=&key=%00&status=x",
    "?groupId=99999999999999999999999&clientGroupId=%FF%FE&pageSize=-5&lastSyncTime=-1",
    "?groupId=1&userId=nobody&key=5-1-1&assignee=nobody&status=2&days=99999999&keys=a&userIds=a",
    "?updatedAt=1e3&startIndex=99999999999&endTime=0&startTime=9223372036854775807&sendNotifyMessage=perhaps",
];

const BODIES: &[&str] = &[
    "",
    "{",
    "null",
    "[]",
    "[{\"id\": \"x\"}]",
    "123",
    "{\"groupId\": {\"a\": 1}, \"userId\": [1], \"message\": 5, \"metadata\": \"m\", \"users\": 7}",
    "{\"groupId\": -1, \"clientGroupId\": \"\", \"to\": \"\", \"groupName\": \"\", \"groupMemberList\": [null]}",
    "{\"userIdList\": \"x\", \"userIds\": [\"\"], \"clientGroupIds\": [[]], \"messageObject\": []}",
    "{\"encoded\": true, \"data\": \"%%%\"}",
];

async fn hammer(sb: &parley_sandbox::Sandbox, auth: Option<&Session>) {
    let client = http();
    for (method, path) in ROUTES {
        // Every body, each with a different query string (the full product takes too long).
        for (i, body) in BODIES.iter().enumerate() {
            let query = QUERIES[i % QUERIES.len()];
            let url = format!("{}{}{}", sb.http_url(), path, query);
            let mut req = client
                .request(Method::from_bytes(method.as_bytes()).unwrap(), &url)
                .header("Content-Type", "application/json")
                .body(body.to_string());
            if let Some(s) = auth {
                req = req
                    .header("Application-Key", APP)
                    .header("X-Authorization", &s.token)
                    .header("Device-Key", &s.device_key);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            assert!(
                status.is_success() || status.is_client_error(),
                "{method} {path}{query} with {body:?}: {status}"
            );
            let _ = res.bytes().await.unwrap();
        }
    }
}

#[tokio::test]
async fn test_every_route_answers_garbage_without_server_errors() {
    let sb = start_demo().await;
    hammer(&sb, None).await;
    let user = register(&sb, "fuzzer", None).await;
    hammer(&sb, Some(&user)).await;
    let agent = register(&sb, "alice@parley.test", Some("agent-password")).await;
    hammer(&sb, Some(&agent)).await;
}
