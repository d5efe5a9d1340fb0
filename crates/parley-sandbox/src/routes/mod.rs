//! The HTTP surface.

pub mod admin;
pub mod contacts;
pub mod dixa;
pub mod files;
pub mod groups;
pub mod kommunicate;
pub mod messages;
pub mod register;
pub mod topics;
pub mod users;
pub mod wapikit;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Uri;
use axum::routing::{get, patch, post};
use axum::Router;

use crate::error::ApiError;
use crate::state::SharedState;

pub fn router(state: SharedState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    // Multipart framing adds a little to the file itself.
    let upload_limit = state.limits.max_upload_bytes + 64 * 1024;
    let uploads = Router::new()
        .route("/rest/ws/upload/image", post(files::upload_image))
        .route("/rest/ws/upload/file", post(files::upload_file))
        .route("/files/upload/", post(files::legacy_upload))
        .route("/files/upload", post(files::legacy_upload))
        .layer(DefaultBodyLimit::max(upload_limit));

    let ws = Router::new()
        // registration
        .route("/register/client", post(register::register_client))
        .route("/register/refresh/token", post(register::refresh_token))
        .route("/device/logout", post(register::logout))
        .route("/loginv2", post(register::login_v2))
        // messages
        .route("/message/send", post(messages::send))
        .route("/message/v2/send", post(messages::send))
        .route("/message/sendall", post(messages::send_all))
        .route("/message/sync", get(messages::sync))
        .route("/message/list", get(messages::list))
        .route("/message/v2/list", get(messages::list))
        .route("/message/v3/list", get(messages::list))
        .route(
            "/message/read/conversation",
            get(messages::read_conversation),
        )
        .route("/message/read", get(messages::read_one))
        .route("/message/delivered", get(messages::delivered))
        .route("/message/delete", get(messages::delete))
        .route("/message/v2/delete", get(messages::delete))
        .route(
            "/message/delete/conversation",
            get(messages::delete_conversation),
        )
        .route("/message/delete/all", get(messages::delete_all))
        .route("/message/info", get(messages::info))
        .route("/message/detail", get(messages::detail))
        .route("/message/update/metadata", post(messages::update_metadata))
        .route("/user/messages/delete", post(messages::delete_older_than))
        .route("/user/read", get(messages::reset_unread))
        // groups
        .route("/group/create", post(groups::create))
        .route("/group/v2/create", post(groups::create))
        .route("/group/v2.1/create", post(groups::create))
        .route("/group/info", get(groups::info))
        .route("/group/v2/info", get(groups::info))
        .route("/group/list", get(groups::list_v2))
        .route("/group/v2/list", get(groups::list_v2))
        .route("/group/v3/list", get(groups::list_v5))
        .route("/group/v5/list", get(groups::list_v5))
        .route(
            "/group/add/member",
            get(groups::add_member).post(groups::add_member),
        )
        .route(
            "/group/remove/member",
            get(groups::remove_member).post(groups::remove_member),
        )
        .route("/group/left", get(groups::leave).post(groups::leave))
        .route("/group/add/users", post(groups::add_users))
        .route("/group/remove/users", post(groups::remove_users))
        .route("/group/update", post(groups::update))
        .route("/group/user/update", post(groups::user_update))
        .route("/group/check/user", get(groups::check_user))
        .route("/group/user/count", get(groups::user_count))
        .route("/group/delete", get(groups::delete))
        .route(
            "/group/multiple/delete",
            get(groups::delete_many).post(groups::delete_many),
        )
        .route("/group/v2/channel", get(groups::open_channels))
        .route("/group/filter", get(groups::filter))
        .route("/user/remove/group/all", get(groups::remove_from_all))
        // friend / favourite lists
        .route("/group/{name}/add", post(contacts::add))
        .route("/group/{name}/add/members", post(contacts::add_members))
        .route("/group/{name}/get", get(contacts::get_list))
        .route("/group/{name}/remove", get(contacts::remove))
        .route("/group/{name}/delete", get(contacts::delete))
        // topic based chat
        .route("/conversation/v2/id", post(topics::conversation_id))
        .route("/conversation/closeall", get(topics::close_all))
        // application bot
        .route("/message/dispatch", post(admin::dispatch))
        .route("/analytics/message", get(admin::export))
        // Kommunicate conversations
        .route(
            "/group/conversation",
            post(kommunicate::create_conversation),
        )
        .route("/group/status/change", patch(kommunicate::change_status))
        .route(
            "/group/assignee/change",
            patch(kommunicate::change_assignee),
        )
        .route(
            "/group/v2/assignee/change",
            patch(kommunicate::change_assignee),
        )
        .route("/group/support", get(kommunicate::support_list))
        .route("/group/support/assigned", get(kommunicate::assigned_list))
        .route("/group/waiting/list", get(kommunicate::waiting_list))
        .route("/group/add/tags", patch(kommunicate::group_add_tags))
        .route("/group/remove/tags", patch(kommunicate::group_remove_tags))
        .route("/team/list", get(kommunicate::team_list))
        .route(
            "/tags",
            get(kommunicate::tags_list)
                .post(kommunicate::tags_create)
                .patch(kommunicate::tags_update)
                .delete(kommunicate::tags_delete),
        )
        // users
        .route("/user/detail", get(users::detail))
        .route("/user/info", get(users::detail))
        .route("/user/v2/detail", post(users::detail_v2))
        .route("/user/status", get(users::status))
        .route("/user/ol/list", get(users::online_list))
        .route("/user/update", post(users::update))
        .route("/user/update/password", get(users::update_password))
        .route("/user/set/password", get(users::set_password))
        .route("/user/v2/create", post(users::create))
        .route("/user/filter", get(users::filter))
        .route("/user/v3/filter", get(users::filter))
        .route("/user/block", get(users::block))
        .route("/user/unblock", get(users::unblock))
        .route("/user/blocked/sync", get(users::blocked_sync))
        .route("/user/chat/mute", post(users::mute))
        .route("/user/chat/mute/list", get(users::mute_list))
        .route("/users/status", patch(users::set_availability))
        // files
        .route("/aws/file/url", get(files::legacy_upload_url))
        .route("/aws/file/{blob_key}", get(files::download))
        .route("/file/url", get(files::signed_url))
        .route("/file/delete", get(files::delete))
        .layer(DefaultBodyLimit::max(body_limit));

    Router::new()
        .nest("/rest/ws", ws)
        .merge(uploads)
        .route("/v2/tab/initialize.page", post(register::initialize_page))
        .route("/users/list", get(users::kommunicate_list))
        // Dixa's platform API
        .nest("/v1", dixa::router())
        // WapiKit's API and the sandbox's WhatsApp-customer admin routes
        .nest("/api", wapikit::router())
        .nest("/admin/wapikit", wapikit::admin_router())
        .route("/health", get(|| async { "ok" }))
        .fallback(|| async { ApiError::not_found_route() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(state)
}

/// Tolerates the SDK quirk `/rest/ws/group/support&pageSize=…` (no `?`): the first `&` of a
/// path without a query starts the query.
pub fn fix_query_quirk(mut req: Request) -> Request {
    let uri = req.uri();
    if uri.query().is_none() {
        if let Some((path, query)) = uri.path().split_once('&') {
            if let Ok(fixed) = format!("{path}?{query}").parse::<Uri>() {
                *req.uri_mut() = fixed;
            }
        }
    }
    req
}
