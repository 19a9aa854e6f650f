//! The town hall's pages over real HTTP: sign-in with a session cookie and CSRF-checked forms,
//! escaping, the security headers, role checks per page, and bad input answered with an error
//! page that changes nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_PASSWORD, spawn_app};
use crate::town_client::PageClient;

#[tokio::test]
async fn sign_in_post_and_reply_through_the_pages_with_escaping_and_headers() {
    let app = spawn_app().await;
    let (_, hana_api) = app.account("hana", "human").await;
    app.post_as(
        Some(&hana_api),
        "/board/posts",
        &json!({"title": "<script>alert(1)</script>", "body": "<b>bold?</b>"}),
    )
    .await;
    let mut bram = PageClient::new(&app);
    let login = bram.get("/town/login").await;
    assert_eq!(login.status, StatusCode::OK);
    let csp = login.csp.clone().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"));

    let csrf = login.csrf();
    let wrong = bram
        .post(
            "/town/login",
            &[
                ("csrf", &csrf),
                ("username", "hana"),
                ("password", "nope-nope-nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.body.contains("wrong username or password"));
    assert!(!bram.cookies.contains_key("village_session"));

    let signup = bram.get("/town/signup").await;
    let csrf = signup.csrf();
    let created = bram
        .post(
            "/town/signup",
            &[
                ("csrf", &csrf),
                ("username", "bram"),
                ("password", ADMIN_PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(
        created.location.as_deref(),
        Some("/town/board?done=signed_up")
    );

    let board = bram.get("/town/board").await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!board.body.contains("<script>alert"));
    assert!(board.csp.is_some());

    let csrf = board.csrf();
    let posted = bram
        .post(
            "/town/posts",
            &[
                ("csrf", &csrf),
                ("title", "Need a map"),
                ("body", "Where is the old map?"),
                ("tags", "maps, history"),
                ("audience", "public"),
            ],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.body);
    let location = posted.location.unwrap();
    assert!(location.ends_with("?done=posted"), "{location}");
    let post_path = location.split('?').next().unwrap().to_string();
    let id: u64 = post_path.rsplit('/').next().unwrap().parse().unwrap();

    let forged = bram
        .post(
            &format!("{post_path}/replies"),
            &[("csrf", "csrf_forged"), ("body", "sneaky")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let missing = bram
        .post(&format!("{post_path}/replies"), &[("body", "sneaky")])
        .await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let thread: Value = app.get_json(&format!("/board/posts/{id}")).await;
    assert_eq!(thread["replies"].as_array().unwrap().len(), 0, "{thread}");

    let page = bram.get(&post_path).await;
    let replied = bram
        .post(
            &format!("{post_path}/replies"),
            &[
                ("csrf", &page.csrf()),
                ("body", "I think it is in the library"),
            ],
        )
        .await;
    assert_eq!(replied.status, StatusCode::SEE_OTHER, "{}", replied.body);
    let thread = bram.get(&post_path).await;
    assert!(thread.body.contains("I think it is in the library"));

    let long = "x".repeat(9000);
    let too_long = bram
        .post(
            &format!("{post_path}/replies"),
            &[("csrf", &page.csrf()), ("body", &long)],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.body.contains("Back"));
    let unknown = bram.get("/town/posts/99999").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    app.stop().await;
}

#[tokio::test]
async fn sessions_end_server_side_and_tampered_cookies_are_signed_out() {
    let app = spawn_app().await;
    app.account("hana", "human").await;
    let mut hana = PageClient::new(&app);
    hana.sign_in("hana", ADMIN_PASSWORD).await;
    let stolen = hana.cookies.clone();
    let board = hana.get("/town/board").await;
    assert!(board.body.contains("Sign out"));
    let csrf = board.csrf();
    let out = hana.post("/town/logout", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(!hana.cookies.contains_key("village_session"));

    // The old cookie, replayed, no longer signs anyone in.
    hana.cookies = stolen;
    let replay = hana.get("/town/board").await;
    assert!(!replay.body.contains("Sign out"), "{}", replay.body);
    let write = hana
        .post(
            "/town/posts",
            &[("csrf", &csrf), ("title", "t"), ("body", "b")],
        )
        .await;
    assert_eq!(write.status, StatusCode::SEE_OTHER);
    assert_eq!(write.location.as_deref(), Some("/town/login"));

    hana.cookies
        .insert("village_session".into(), "vws_tampered".into());
    let tampered = hana.get("/town/moderation").await;
    assert_eq!(tampered.location.as_deref(), Some("/town/login"));
    let posts: Value = app.get_json("/board/posts").await;
    assert_eq!(posts["posts"].as_array().unwrap().len(), 0);
    app.stop().await;
}

#[tokio::test]
async fn people_who_are_not_staff_cannot_open_the_moderation_queue() {
    let app = spawn_app().await;
    app.account("hana", "human").await;
    app.account("mia", "moderator").await;
    let mut hana = PageClient::new(&app);
    hana.sign_in("hana", ADMIN_PASSWORD).await;
    let refused = hana.get("/town/moderation").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!refused.body.contains("Moderation queue"));
    let board = hana.get("/town/board").await;
    assert!(!board.body.contains("href=\"/town/moderation\""));

    let mut mia = PageClient::new(&app);
    mia.sign_in("mia", ADMIN_PASSWORD).await;
    let queue = mia.get("/town/moderation").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("Nothing waits for a decision."));
    app.stop().await;
}

#[tokio::test]
async fn a_held_post_is_approved_from_the_moderation_page() {
    let app = spawn_app().await;
    let (_, hana_api) = app.account("hana", "human").await;
    app.account("mia", "moderator").await;
    let held: Value = app
        .post_json_as(
            Some(&hana_api),
            "/board/posts",
            &json!({"title": "Call me", "body": "my number is +1 415 555 0132"}),
        )
        .await;
    assert_eq!(held["held"], true, "{held}");
    let id = held["id"].as_u64().unwrap();
    let mut mia = PageClient::new(&app);
    mia.sign_in("mia", ADMIN_PASSWORD).await;
    let queue = mia.get("/town/moderation").await;
    assert!(queue.body.contains("Call me"));
    assert!(queue.body.contains("phone"));
    // The moderator reads the text itself; the guard's excerpt beside it is masked.
    assert!(
        queue.body.contains("<code>+1 4… (15 characters)</code>"),
        "{}",
        queue.body
    );
    let decided = mia
        .post(
            &format!("/town/moderation/posts/{id}"),
            &[
                ("csrf", &queue.csrf()),
                ("reason", "a business line"),
                ("action", "bogus"),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::UNPROCESSABLE_ENTITY);
    let decided = mia
        .post(
            &format!("/town/moderation/posts/{id}"),
            &[
                ("csrf", &queue.csrf()),
                ("reason", "a business line"),
                ("action", "approve"),
            ],
        )
        .await;
    assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
    let posts: Value = app.get_json("/board/posts").await;
    assert_eq!(posts["posts"][0]["held"], false, "{posts}");
    app.stop().await;
}

/// A form that must be refused: path, fields (the CSRF token is added), the status.
type BadForm<'a> = (&'a str, &'a [(&'a str, &'a str)], StatusCode);

#[tokio::test]
async fn admin_forms_refuse_bad_input_with_an_error_page_and_change_nothing() {
    // Negative, malformed and huge amounts, an unknown agent, an overlong reason, an unknown
    // control action and a reused transaction id each get a 4xx page; the balance is as before.
    let app = spawn_app().await;
    let agent = app.create_agent("Ada", None).await;
    let mut admin = PageClient::new(&app);
    admin
        .sign_in(crate::helpers::ADMIN_USER, ADMIN_PASSWORD)
        .await;
    let page = admin.get(&format!("/town/agents/{agent}")).await;
    assert!(page.body.contains("Credit deposit"), "{}", page.body);
    let csrf = page.csrf();
    let deposit = format!("/town/admin/agents/{agent}/deposit");
    let good = admin
        .post(
            &deposit,
            &[
                ("csrf", &csrf),
                ("amount", "3.5"),
                ("paypal_txn_id", "TX-1"),
            ],
        )
        .await;
    assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
    let cases: [BadForm; 6] = [
        (
            &deposit,
            &[("amount", "-5"), ("paypal_txn_id", "TX-2")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &deposit,
            &[("amount", "12abc"), ("paypal_txn_id", "TX-3")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &deposit,
            &[("amount", "99999999999999"), ("paypal_txn_id", "TX-4")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            &deposit,
            &[("amount", "9"), ("paypal_txn_id", "TX-1")],
            StatusCode::CONFLICT,
        ),
        (
            "/town/admin/agents/999/control",
            &[("action", "pause"), ("reason", "x")],
            StatusCode::NOT_FOUND,
        ),
        (
            "/town/admin/agents/1/control",
            &[("action", "explode"), ("reason", "x")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ];
    for (path, fields, status) in cases {
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        let answer = admin.post(path, &form).await;
        assert_eq!(answer.status, status, "{path} {fields:?}: {}", answer.body);
        assert!(answer.body.contains("class=\"error\""), "{}", answer.body);
    }
    let long = "r".repeat(600);
    let control = format!("/town/admin/agents/{agent}/control");
    let answer = admin
        .post(
            &control,
            &[("csrf", &csrf), ("action", "quarantine"), ("reason", &long)],
        )
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        answer.body
    );
    let standing: Value = app.get_json(&format!("/economy/balance/{agent}")).await;
    assert_eq!(standing["balance_micros"], 3_500_000, "{standing}");
    let view: Value = app
        .get_json(&format!("/admin/agents/{agent}/control"))
        .await;
    assert!(view["hold"].is_null(), "{view}");

    let quarantined = admin
        .post(
            &control,
            &[
                ("csrf", &csrf),
                ("action", "quarantine"),
                ("reason", "review its files"),
            ],
        )
        .await;
    assert_eq!(
        quarantined.status,
        StatusCode::SEE_OTHER,
        "{}",
        quarantined.body
    );
    let view: Value = app
        .get_json(&format!("/admin/agents/{agent}/control"))
        .await;
    assert_eq!(view["hold"], "quarantine", "{view}");
    app.stop().await;
}

#[tokio::test]
async fn a_reply_to_a_locked_post_or_an_unknown_one_gets_an_error_page() {
    // The page shows no reply form on a locked post; a crafted reply gets 409, one to an
    // unknown post 404, and the thread is unchanged.
    let app = spawn_app().await;
    let (_, hana_api) = app.account("hana", "human").await;
    let post: Value = app
        .post_json_as(
            Some(&hana_api),
            "/board/posts",
            &json!({"title": "Done", "body": "solved"}),
        )
        .await;
    let id = post["id"].as_u64().unwrap();
    let locked = app
        .post(
            &format!("/board/posts/{id}/moderate"),
            &json!({"action": "lock", "reason": "answered"}),
        )
        .await;
    assert_eq!(locked.status(), StatusCode::OK);
    let mut hana = PageClient::new(&app);
    hana.sign_in("hana", ADMIN_PASSWORD).await;
    let page = hana.get(&format!("/town/posts/{id}")).await;
    assert!(page.body.contains("takes no replies"), "{}", page.body);
    assert!(!page.body.contains("/replies\""));
    let csrf = page.csrf();
    let refused = hana
        .post(
            &format!("/town/posts/{id}/replies"),
            &[("csrf", &csrf), ("body", "one more thing")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(
        refused.body.contains("takes no replies"),
        "{}",
        refused.body
    );
    let unknown = hana
        .post(
            "/town/posts/4242/replies",
            &[("csrf", &csrf), ("body", "hello?")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let thread: Value = app.get_json(&format!("/board/posts/{id}")).await;
    assert_eq!(thread["replies"].as_array().unwrap().len(), 0, "{thread}");
    app.stop().await;
}

#[tokio::test]
async fn a_made_up_session_cookie_counts_as_a_visitor_for_the_address_limit() {
    // With a burst of 2 requests per address, the third page view with a forged cookie is
    // refused (429), as it would be without a cookie.
    let app = crate::helpers::spawn_app_with(|s| {
        s.auth.anonymous_request_burst_per_ip = 2;
        s.auth.anonymous_requests_per_minute_per_ip = 1;
    })
    .await;
    let mut visitor = PageClient::new(&app);
    visitor
        .cookies
        .insert("village_session".into(), "vws_made_up".into());
    let statuses = [
        visitor.get("/town/board").await.status,
        visitor.get("/town/board").await.status,
        visitor.get("/town/board").await.status,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    app.stop().await;
}
