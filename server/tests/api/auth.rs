//! Accounts and tokens: register, login, refresh, logout, revocation, rotation, and every bad
//! input answered with a JSON error that changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};
use village_server::auth::Role;
use village_server::auth::jwt::{JwtKeys, NamedKey};
use village_server::config::JwtKeySetting;
use village_server::store::AuditFilter;

use crate::helpers::{ADMIN_PASSWORD, assert_error, client_from, spawn_app, spawn_app_with};

const SECRET_A: &str = "an-old-secret-that-is-32-bytes-long!";
const SECRET_B: &str = "the-new-secret-that-is-32-bytes-long";

async fn login_body(app: &crate::helpers::TestApp, username: &str, password: &str) -> Value {
    let response = app
        .post_as(
            None,
            "/auth/login",
            &json!({"username": username, "password": password}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn register_login_refresh_and_logout() {
    // A registered person signs in; a refresh token works once; logout ends the access token
    // and the refresh token at once.
    let app = spawn_app().await;
    let created = app
        .post_as(
            None,
            "/auth/register",
            &json!({"username": "Hana", "password": "hana's long password"}),
        )
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let request_id = created.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(request_id.len(), 32);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["role"], "human");
    let registered = app
        .store
        .list_audit(&AuditFilter {
            action: Some("account.register".into()),
            limit: 1,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(
        registered[0].request_id, request_id,
        "the audit entry carries the request id"
    );
    let tokens = login_body(&app, "hana", "hana's long password").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let access = tokens["access_token"].as_str().unwrap().to_string();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let refreshed = app
        .post_as(None, "/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let refreshed: Value = refreshed.json().await.unwrap();
    let again = app
        .post_as(None, "/auth/refresh", &json!({"refresh_token": refresh}))
        .await;
    assert_error(again, StatusCode::UNAUTHORIZED, "bad_refresh_token").await;
    let new_access = refreshed["access_token"].as_str().unwrap();
    let post = app
        .post_as(
            Some(new_access),
            "/board/posts",
            &json!({"title": "hi", "body": "b"}),
        )
        .await;
    assert_eq!(post.status(), StatusCode::CREATED);
    let out = app.post_as(Some(&access), "/auth/logout", &json!({})).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    for token in [access.as_str(), new_access] {
        let refused = app
            .post_as(
                Some(token),
                "/board/posts",
                &json!({"title": "x", "body": "y"}),
            )
            .await;
        assert_error(refused, StatusCode::UNAUTHORIZED, "token_revoked").await;
    }
    let refresh2 = refreshed["refresh_token"].as_str().unwrap();
    let dead = app
        .post_as(None, "/auth/refresh", &json!({"refresh_token": refresh2}))
        .await;
    assert_error(dead, StatusCode::UNAUTHORIZED, "bad_refresh_token").await;
    let actions: Vec<String> = app
        .store
        .list_audit(&AuditFilter {
            limit: 50,
            ..AuditFilter::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for action in [
        "account.register",
        "auth.login",
        "board.post",
        "auth.logout",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not audited: {actions:?}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_registrations_and_logins_change_nothing() {
    // Taken, malformed or reserved names and short passwords are 4xx with no account made;
    // a wrong password is 401 and leaves a denied audit entry.
    let app = spawn_app().await;
    let register = async |u: &str, p: &str| {
        app.post_as(
            None,
            "/auth/register",
            &json!({"username": u, "password": p}),
        )
        .await
    };
    assert_eq!(
        register("hana", "a long password").await.status(),
        StatusCode::CREATED
    );
    assert_error(
        register("HANA", "a long password").await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    assert_error(
        register("h", "a long password").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_username",
    )
    .await;
    assert_error(
        register("has space", "a long password").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_username",
    )
    .await;
    assert_error(
        register("agent-7", "a long password").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_username",
    )
    .await;
    assert_error(
        register("shorty", "short").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_password",
    )
    .await;
    assert_error(
        register(&"n".repeat(33), "a long password").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_username",
    )
    .await;
    let extra = app
        .post_as(
            None,
            "/auth/register",
            &json!({"username": "eve", "password": "a long password", "role": "admin"}),
        )
        .await;
    assert_eq!(
        extra.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a role cannot be self-assigned"
    );
    assert!(
        app.store
            .find_account_by_username("eve")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        app.store
            .find_account_by_username("shorty")
            .await
            .unwrap()
            .is_none()
    );
    // An agent account has no password: no guess signs in as it, the dummy hash's included.
    let agent = app.create_agent("Passwordless", None).await;
    for guess in ["not-a-real-password-0", "", "anything at all"] {
        let as_agent = app
            .post_as(
                None,
                "/auth/login",
                &json!({"username": format!("agent-{agent}"), "password": guess}),
            )
            .await;
        assert_error(as_agent, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    }
    let wrong = app
        .post_as(
            None,
            "/auth/login",
            &json!({"username": "hana", "password": "not it at all"}),
        )
        .await;
    assert_error(wrong, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    let nobody = app
        .post_as(
            None,
            "/auth/login",
            &json!({"username": "nobody", "password": "not it at all"}),
        )
        .await;
    assert_error(nobody, StatusCode::UNAUTHORIZED, "bad_credentials").await;
    let denied = app
        .store
        .list_audit(&AuditFilter {
            outcome: Some("denied".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(denied.len(), 5);
    assert!(
        denied
            .iter()
            .all(|e| e.action == "auth.login" && e.actor_role == "anonymous")
    );
    app.stop().await;
}

#[tokio::test]
async fn closed_registration_refuses_everyone() {
    // With registration closed, /auth/register is 403 and makes nothing.
    let app = spawn_app_with(|s| s.auth.open_registration = false).await;
    let response = app
        .post_as(
            None,
            "/auth/register",
            &json!({"username": "hana", "password": "a long password"}),
        )
        .await;
    assert_error(response, StatusCode::FORBIDDEN, "registration_closed").await;
    assert!(
        app.store
            .find_account_by_username("hana")
            .await
            .unwrap()
            .is_none()
    );
    app.stop().await;
}

#[tokio::test]
async fn logins_are_rate_limited_per_account_and_per_address() {
    // After the per-account quota, even the right password waits (429 with Retry-After); the
    // per-address quota stops guessing across many names.
    let app = spawn_app_with(|s| {
        s.auth.login_attempts_per_minute_per_account = 3;
        s.auth.login_attempts_per_minute_per_ip = 8;
    })
    .await;
    let login = async |u: String, p: &str| {
        app.post_as(None, "/auth/login", &json!({"username": u, "password": p}))
            .await
    };
    // spawn_app's own sign-in took the first of root-admin's three.
    for _ in 0..2 {
        assert_eq!(
            login("root-admin".into(), "wrong password!").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let limited = login("root-admin".into(), ADMIN_PASSWORD).await;
    assert!(limited.headers().get("retry-after").is_some());
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "login_rate_limited").await;
    // Fresh names each get their own account quota, so only the address quota can stop them:
    // it must, within its 8 attempts a minute.
    let mut refused = None;
    for i in 0..8 {
        let response = login(format!("user{i}"), "wrong password!").await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let by_address = refused.expect("the address is limited within its quota");
    assert_error(
        by_address,
        StatusCode::TOO_MANY_REQUESTS,
        "login_rate_limited",
    )
    .await;
    app.stop().await;
}

#[tokio::test]
async fn forged_expired_and_retired_key_tokens_are_refused() {
    // Tokens signed under a key that is no longer configured, with a wrong secret, expired, or
    // garbled are 401 with a code saying which; a token under the configured key works.
    let app = spawn_app_with(|s| {
        s.auth.jwt_keys = vec![JwtKeySetting {
            kid: "new".into(),
            secret: SECRET_B.into(),
        }];
    })
    .await;
    let now = u64::try_from(village_server::clock::now_ms() / 1000).unwrap();
    let mint = |kid: &str, secret: &str, issued: u64| {
        let keys = JwtKeys::new(
            &[NamedKey {
                kid: kid.into(),
                secret: secret.as_bytes().to_vec(),
            }],
            kid,
            900,
        )
        .unwrap();
        keys.issue(&keys.claims(1, Role::Admin, "root-admin", 1, issued))
            .unwrap()
    };
    let audit = async |token: String| app.get_as(Some(&token), "/admin/audit").await;
    assert_eq!(
        audit(mint("new", SECRET_B, now)).await.status(),
        StatusCode::OK
    );
    assert_error(
        audit(mint("old", SECRET_A, now)).await,
        StatusCode::UNAUTHORIZED,
        "token_key_retired",
    )
    .await;
    assert_error(
        audit(mint("new", SECRET_A, now)).await,
        StatusCode::UNAUTHORIZED,
        "bad_token",
    )
    .await;
    assert_error(
        audit(mint("new", SECRET_B, now - 7200)).await,
        StatusCode::UNAUTHORIZED,
        "token_expired",
    )
    .await;
    assert_error(
        audit("garbage".into()).await,
        StatusCode::UNAUTHORIZED,
        "bad_token",
    )
    .await;
    assert_error(
        audit("avt_0000".into()).await,
        StatusCode::UNAUTHORIZED,
        "bad_token",
    )
    .await;
    let no_scheme = app
        .client
        .get(app.url("/admin/audit"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_error(no_scheme, StatusCode::UNAUTHORIZED, "bad_authorization").await;
    app.stop().await;
}

#[tokio::test]
async fn a_revoked_agent_token_stops_at_once_and_a_role_change_ends_sessions() {
    // Revoking an agent's token makes its next request 401 (the agent stays in the world);
    // promoting a person ends their old token, and a new login carries the new role.
    let app = spawn_app().await;
    let agent = app.create_agent("Revocable", None).await;
    let token = app.agent_token(agent);
    let act = async |t: String| {
        app.post_as(
            Some(&t),
            &format!("/agents/{agent}/action"),
            &json!({"action": "idle"}),
        )
        .await
    };
    assert_eq!(act(token.clone()).await.status(), StatusCode::OK);
    let revoked = app
        .post(&format!("/admin/agents/{agent}/revoke"), &json!({}))
        .await;
    assert_eq!(revoked.status(), StatusCode::OK);
    assert_error(act(token).await, StatusCode::UNAUTHORIZED, "bad_token").await;
    assert_eq!(
        app.get_json(&format!("/agents/{agent}")).await["id"],
        agent.0
    );
    let unknown = app.post("/admin/agents/9999/revoke", &json!({})).await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_agent").await;
    let (id, old) = app.account("mona", "human").await;
    let changed = app
        .post(
            &format!("/admin/accounts/{id}/role"),
            &json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_error(
        app.get_as(Some(&old), "/board/posts").await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    )
    .await;
    let fresh = app.login("mona", ADMIN_PASSWORD).await;
    let post = app
        .post_as(
            Some(&fresh),
            "/board/posts",
            &json!({"title": "t", "body": "b"}),
        )
        .await;
    let post: Value = post.json().await.unwrap();
    assert_eq!(post["author"]["role"], "moderator");
    let to_agent = app
        .post(
            &format!("/admin/accounts/{id}/role"),
            &json!({"role": "agent"}),
        )
        .await;
    assert_error(to_agent, StatusCode::UNPROCESSABLE_ENTITY, "invalid_role").await;
    let audited = app
        .store
        .list_audit(&AuditFilter {
            action: Some("admin.agent_token_revoke".into()),
            limit: 10,
            ..AuditFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert_eq!(audited[0].target, format!("agent:{agent}"));
    app.stop().await;
}

#[tokio::test]
async fn writes_are_rate_limited_per_account() {
    // Past its burst an account's writes get 429 with Retry-After and change nothing, while
    // another account still writes.
    let app = spawn_app_with(|s| {
        s.auth.writes_per_second_per_account = 1;
        s.auth.write_burst_per_account = 3;
    })
    .await;
    let (_, hana) = app.account("hana", "human").await;
    let (_, hugo) = app.account("hugo", "human").await;
    let post = async |token: &str, title: &str| {
        app.post_as(
            Some(token),
            "/board/posts",
            &json!({"title": title, "body": "b"}),
        )
        .await
    };
    for i in 0..3 {
        assert_eq!(
            post(&hana, &format!("p{i}")).await.status(),
            StatusCode::CREATED
        );
    }
    let limited = post(&hana, "one too many").await;
    assert!(limited.headers().get("retry-after").is_some());
    assert_error(limited, StatusCode::TOO_MANY_REQUESTS, "write_rate_limited").await;
    assert_eq!(post(&hugo, "mine").await.status(), StatusCode::CREATED);
    let titles: Vec<String> = app.get_json("/board/posts").await["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap().to_string())
        .collect();
    assert!(!titles.contains(&"one too many".to_string()));
    assert_eq!(titles.len(), 4);
    app.stop().await;
}

#[tokio::test]
async fn a_new_agent_token_replaces_the_old_and_the_last_admin_stays() {
    // Issuing a new token ends the old one and revives a revoked agent; a generated resident
    // without an account gets one; the last admin cannot be demoted.
    let app = spawn_app_with(|s| s.demo.agents = 1).await;
    let agent = app.create_agent("Renewed", None).await;
    let old = app.agent_token(agent);
    app.post(&format!("/admin/agents/{agent}/revoke"), &json!({}))
        .await;
    let issued: Value = app
        .post(&format!("/admin/agents/{agent}/token"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let new = issued["token"].as_str().unwrap();
    let act = async |token: &str| {
        app.post_as(
            Some(token),
            &format!("/agents/{agent}/action"),
            &json!({"action": "idle"}),
        )
        .await
    };
    assert_eq!(act(new).await.status(), StatusCode::OK);
    assert_error(act(&old).await, StatusCode::UNAUTHORIZED, "bad_token").await;
    let resident = app.get_json("/agents").await.as_array().unwrap()[0]["id"]
        .as_u64()
        .unwrap();
    assert!(
        app.store
            .find_agent_account(resident)
            .await
            .unwrap()
            .is_none()
    );
    let issued: Value = app
        .post(&format!("/admin/agents/{resident}/token"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let resident_token = issued["token"].as_str().unwrap();
    let acted = app
        .post_as(
            Some(resident_token),
            &format!("/agents/{resident}/action"),
            &json!({"action": "idle"}),
        )
        .await;
    assert_eq!(acted.status(), StatusCode::OK);
    let unknown = app.post("/admin/agents/999/token", &json!({})).await;
    assert_error(unknown, StatusCode::NOT_FOUND, "unknown_agent").await;
    let me = app
        .store
        .find_account_by_username("root-admin")
        .await
        .unwrap()
        .unwrap();
    let demote = app
        .post(
            &format!("/admin/accounts/{}/role", me.id),
            &json!({"role": "human"}),
        )
        .await;
    assert_error(demote, StatusCode::CONFLICT, "last_admin").await;
    assert_eq!(
        app.store.find_account(me.id.0).await.unwrap().unwrap().role,
        "admin"
    );
    app.stop().await;
}

#[tokio::test]
async fn registrations_are_rate_limited_per_address_and_request_ids_are_clean() {
    // An address that registers past its quota gets 429 and no account; a caller's plain
    // request id is echoed and kept, an odd one is replaced by a fresh id.
    let app = spawn_app_with(|s| s.auth.login_attempts_per_minute_per_ip = 3).await;
    // spawn_app's sign-in took one of the address's three.
    for name in ["reg-one", "reg-two"] {
        let ok = app
            .post_as(
                None,
                "/auth/register",
                &json!({"username": name, "password": "a long password"}),
            )
            .await;
        assert_eq!(ok.status(), StatusCode::CREATED);
    }
    let limited = app
        .post_as(
            None,
            "/auth/register",
            &json!({"username": "reg-three", "password": "a long password"}),
        )
        .await;
    assert_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        "register_rate_limited",
    )
    .await;
    assert!(
        app.store
            .find_account_by_username("reg-three")
            .await
            .unwrap()
            .is_none()
    );
    let plain = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "trace-42_a")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.headers()["x-request-id"], "trace-42_a");
    let odd = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "a b;c")
        .send()
        .await
        .unwrap();
    let replaced = odd.headers()["x-request-id"].to_str().unwrap();
    assert_eq!(replaced.len(), 32);
    assert!(replaced.chars().all(|c| c.is_ascii_hexdigit()));
    app.stop().await;
}

#[tokio::test]
async fn nobody_elsewhere_can_lock_the_runtime_out_of_signing_in() {
    // Wrong passwords for the runtime's known username from another address (127.0.0.2) past
    // the per-account quota leave the runtime's own sign-in from its address working; the
    // other address is limited, and a person's account is still limited per account wherever
    // the attempts come from.
    let app = spawn_app_with(|s| {
        s.auth.login_attempts_per_minute_per_account = 3;
        s.auth.login_attempts_per_minute_per_ip = 30;
    })
    .await;
    let (_, _) = app.account("runtime", "runtime").await;
    let (_, _) = app.account("hal", "human").await;
    let elsewhere = client_from("127.0.0.2");
    let attempt = async |username: &str, password: &str| {
        elsewhere
            .post(app.url("/auth/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await
            .unwrap()
            .status()
    };
    let mut statuses = Vec::new();
    for _ in 0..6 {
        statuses.push(attempt("runtime", "wrong password!").await);
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "the attacker's own address is limited: {statuses:?}"
    );
    let ok = app
        .post_as(
            None,
            "/auth/login",
            &json!({"username": "runtime", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(ok.status(), StatusCode::OK, "the runtime still signs in");

    for _ in 0..3 {
        attempt("hal", "wrong password!").await;
    }
    let locked = app
        .post_as(
            None,
            "/auth/login",
            &json!({"username": "hal", "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_error(locked, StatusCode::TOO_MANY_REQUESTS, "login_rate_limited").await;
    app.stop().await;
}

#[tokio::test]
async fn one_address_registers_a_bounded_number_of_accounts_a_day() {
    // Past `auth.registrations_per_day_per_ip` (here 3), registering from that address is 429
    // and makes no account, even with the per-minute quota to spare; another address may.
    let app = spawn_app_with(|s| {
        s.auth.registrations_per_day_per_ip = 3;
        s.auth.login_attempts_per_minute_per_ip = 100;
    })
    .await;
    let register = async |name: String| {
        app.post_as(
            None,
            "/auth/register",
            &json!({"username": name, "password": "a long password"}),
        )
        .await
    };
    for i in 0..3 {
        assert_eq!(
            register(format!("day-{i}")).await.status(),
            StatusCode::CREATED
        );
    }
    let limited = register("day-3".into()).await;
    assert_error(
        limited,
        StatusCode::TOO_MANY_REQUESTS,
        "register_rate_limited",
    )
    .await;
    assert!(
        app.store
            .find_account_by_username("day-3")
            .await
            .unwrap()
            .is_none()
    );
    let elsewhere = client_from("127.0.0.3");
    let other = elsewhere
        .post(app.url("/auth/register"))
        .json(&json!({"username": "day-3", "password": "a long password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::CREATED);
    app.stop().await;
}

#[tokio::test]
async fn saving_an_accounts_role_unchanged_ends_no_session() {
    // An admin saving its own role as it is stays signed in (its access and refresh tokens
    // work); a real change still ends the account's sessions.
    let app = spawn_app().await;
    let me = app
        .store
        .find_account_by_username("root-admin")
        .await
        .unwrap()
        .unwrap();
    let same = app
        .post(
            &format!("/admin/accounts/{}/role", me.id),
            &json!({"role": "admin"}),
        )
        .await;
    assert_eq!(same.status(), StatusCode::OK);
    assert_eq!(app.get("/admin/audit").await.status(), StatusCode::OK);
    let (id, hana) = app.account("hana", "human").await;
    let promoted = app
        .post(
            &format!("/admin/accounts/{id}/role"),
            &json!({"role": "moderator"}),
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let ended = app.get_as(Some(&hana), "/chats").await;
    assert_error(ended, StatusCode::UNAUTHORIZED, "token_revoked").await;
    app.stop().await;
}
