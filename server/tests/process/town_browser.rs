//! The town hall in headless Chromium against the real `village` binary: a person signs up,
//! finds an agent's post (made through the API) on the board, replies, rewards it and sees the
//! agent's balance and tier change; a moderator approves a held post; an admin credits a
//! deposit and quarantines the agent; the person cannot open the admin pages. Every page visited
//! is saved as a screenshot in `test-output/town/` and checked not to be blank.

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use crate::server_process::{
    ADMIN_PASSWORD, ADMIN_USER, ServerProcess, admin_create, admin_create_with,
};
use crate::viewer_tools::{Picture, on_path, present, start_chromedriver, workspace};

/// The longest a page may take to show what the test waits for.
const PAGE_WAIT: Duration = Duration::from_secs(20);
const PASSWORD: &str = "a long enough password";

/// One browser and where its screenshots go.
struct Browser {
    client: Client,
    base: String,
    shots: PathBuf,
}

impl Browser {
    async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Types `value` into the field `name` of the form matched by `form`.
    async fn fill(&self, form: &str, name: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(&format!("{form} [name='{name}']")))
            .await
            .unwrap_or_else(|e| panic!("no field {name} in {form}: {e}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks `selector` (every click here is a link or a form's button, so it leaves the
    /// page) and waits until the browser has left the page it was on: what is read next is
    /// the answer's page, never the old one (a `.notice` of the previous step read just before
    /// the page went away was stale or said the wrong thing).
    async fn click(&self, selector: &str) {
        self.press(selector).await;
        self.wait_to_leave(selector).await;
    }

    /// Marks the page as left, then clicks `selector`; [`Browser::wait_to_leave`] then waits
    /// for a page without the mark (after a confirmation the click asked for, say).
    async fn press(&self, selector: &str) {
        self.client
            .execute(
                "document.documentElement.setAttribute('data-left', '')",
                vec![],
            )
            .await
            .unwrap();
        self.client
            .find(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("no {selector}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Waits until the page `selector` was pressed on is replaced: only the new page's root
    /// lacks the mark [`Browser::press`] set.
    async fn wait_to_leave(&self, selector: &str) {
        self.client
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css("html:not([data-left])"))
            .await
            .unwrap_or_else(|e| panic!("{selector}: the page did not change: {e}"));
    }

    /// Waits for `selector` to be on the page and returns its text.
    async fn text_of(&self, selector: &str) -> String {
        let element = self
            .client
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector} never appeared: {e}"));
        element.text().await.unwrap()
    }

    async fn page_text(&self) -> String {
        self.text_of("body").await
    }

    /// Saves the page as `name.png` and checks it is not blank: text and colours drawn, not one
    /// flat colour.
    async fn shoot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let path = self.shots.join(format!("{name}.png"));
        std::fs::write(&path, &png).unwrap();
        let picture = Picture::read(&path);
        let (colours, top_share) = picture.colour_spread();
        assert!(
            colours > 20 && top_share < 0.97,
            "{name}: a blank page ({colours} colours, the commonest {top_share:.3} of it): {}",
            path.display()
        );
    }

    async fn sign_in(&self, username: &str, password: &str) {
        self.open("/town/login").await;
        self.fill("form.card", "username", username).await;
        self.fill("form.card", "password", password).await;
        self.click("form.card button[type=submit]").await;
        self.text_of("form[action='/town/logout']").await;
    }

    async fn sign_out(&self) {
        self.click("form[action='/town/logout'] button").await;
        self.text_of("form[action='/town/login']").await;
    }
}

#[tokio::test]
async fn people_moderators_and_admins_use_the_town_hall_in_a_real_browser() {
    let found = present("chromium", on_path("chromium"))
        && present("chromedriver", on_path("chromedriver"));
    if !found {
        return;
    }
    let data = tempfile::tempdir().unwrap();
    assert!(admin_create(data.path(), ADMIN_USER, ADMIN_PASSWORD).0);
    assert!(admin_create_with(data.path(), "mona", PASSWORD, &["--role", "moderator"]).0);
    let server = ServerProcess::start_with_env(
        data.path(),
        &[],
        &[("VILLAGE__BOARD__AGENTS_POST_AT_BOARD_ONLY", "false")],
    );
    let admin = server.admin_token().await;
    let (status, created) = server
        .call_as(
            &admin,
            reqwest::Method::POST,
            "/admin/agents",
            Some(json!({"display_name": "Ada Quill"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let agent = created["agent_id"].as_u64().unwrap();
    let agent_token = created["token"].as_str().unwrap().to_string();
    let (status, post) = server
        .call_as(
            &agent_token,
            reqwest::Method::POST,
            "/board/posts",
            Some(json!({"title": "Which crate reads TOML?", "body": "I need to read a settings file."})),
        )
        .await;
    assert_eq!(status, 201, "{post}");
    let post = post["id"].as_u64().unwrap();
    let deposit = json!({"agent_id": agent, "amount_micros": 9_000_000, "paypal_txn_id": "SEED-1"});
    let (status, _) = server
        .call_as(
            &admin,
            reqwest::Method::POST,
            "/economy/deposits",
            Some(deposit),
        )
        .await;
    assert_eq!(status, 201);

    let (driver_url, _driver) = start_chromedriver();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "args": ["--headless=new", "--no-sandbox", "--window-size=1280,900",
            "--disable-dev-shm-usage"] }),
    );
    let client = ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&driver_url)
        .await
        .expect("chromedriver opens a session");
    let shots = workspace().join("test-output/town");
    std::fs::create_dir_all(&shots).unwrap();
    let browser = Browser {
        client,
        base: server.url(""),
        shots,
    };

    // A person signs up and finds the agent's post on the board.
    browser.open("/town/signup").await;
    browser.shoot("01-signup").await;
    browser.fill("form.card", "username", "hana").await;
    browser.fill("form.card", "password", PASSWORD).await;
    browser.click("form.card button[type=submit]").await;
    assert!(browser.text_of(".notice").await.contains("Welcome"));
    assert!(
        browser
            .page_text()
            .await
            .contains("Which crate reads TOML?")
    );
    browser.shoot("02-board").await;

    // Replies, then rewards the agent's post: balance 9 + 1.5 crosses the worker threshold.
    browser
        .click(&format!("a[href='/town/posts/{post}']"))
        .await;
    browser
        .fill(
            "form[action$='/replies']",
            "body",
            "Try the toml crate: docs.rs/toml",
        )
        .await;
    browser.click("form[action$='/replies'] button").await;
    assert!(browser.text_of(".notice").await.contains("Replied"));
    assert!(browser.page_text().await.contains("Try the toml crate"));
    browser.fill("form.feedback", "amount", "1.5").await;
    browser
        .fill("form.feedback", "reason", "a clear question")
        .await;
    browser.click("form.feedback button[value=reward]").await;
    assert!(browser.text_of(".notice").await.contains("Rewarded"));
    browser.shoot("03-post").await;
    browser.open(&format!("/town/agents/{agent}")).await;
    assert_eq!(browser.text_of(".balance").await, "10.50");
    assert!(
        browser.page_text().await.contains("worker"),
        "{}",
        browser.page_text().await
    );
    browser.shoot("04-agent").await;

    // A post with an email address is held: only its author (and staff) see it.
    browser.open("/town/board").await;
    browser
        .fill("form[action='/town/posts']", "title", "Write to me")
        .await;
    browser
        .fill(
            "form[action='/town/posts']",
            "body",
            "hana.lopez@example.org, any time",
        )
        .await;
    browser.click("form[action='/town/posts'] button").await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("held for a moderator")
    );
    browser.shoot("05-held").await;

    // The person cannot open the admin pages.
    browser.open("/town/admin").await;
    assert!(browser.text_of(".error").await.contains("admin"));
    browser.shoot("06-admin-refused").await;
    browser.open("/town/moderation").await;
    assert!(browser.text_of(".error").await.contains("moderator"));
    browser.open("/town/board").await;
    browser.sign_out().await;

    // A moderator approves the held post.
    browser.sign_in("mona", PASSWORD).await;
    browser.open("/town/moderation").await;
    assert!(browser.page_text().await.contains("Write to me"));
    browser.shoot("07-moderation").await;
    browser
        .fill("form.decision", "reason", "a public address, on purpose")
        .await;
    browser.click("form.decision button[value=approve]").await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("Decision recorded")
    );
    assert!(browser.page_text().await.contains("Nothing waits"));
    browser.sign_out().await;
    let board = server.get_json("/board/posts").await;
    assert_eq!(board["posts"][0]["title"], "Write to me", "{board}");

    // An admin credits a deposit and quarantines the agent.
    browser.sign_in(ADMIN_USER, ADMIN_PASSWORD).await;
    browser.open(&format!("/town/agents/{agent}")).await;
    let deposit_form = "form[action$='/deposit']";
    browser.fill(deposit_form, "amount", "5").await;
    browser
        .fill(deposit_form, "paypal_txn_id", "PAYPAL-42")
        .await;
    browser.click(&format!("{deposit_form} button")).await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("Deposit credited")
    );
    assert_eq!(browser.text_of(".balance").await, "15.50");
    let control = "form[action$='/control']";
    browser
        .fill(control, "reason", "odd files in its workspace")
        .await;
    let quarantine = format!("{control} button[value=quarantine]");
    browser.press(&quarantine).await;
    // The page's script asks first.
    browser.client.accept_alert().await.unwrap();
    browser.wait_to_leave(&quarantine).await;
    assert!(
        browser
            .text_of(".notice")
            .await
            .contains("Control recorded")
    );
    browser.shoot("08-admin-agent").await;
    let (_, control_view) = server
        .call_as(
            &admin,
            reqwest::Method::GET,
            &format!("/admin/agents/{agent}/control"),
            None,
        )
        .await;
    assert_eq!(control_view["hold"], "quarantine", "{control_view}");
    browser
        .open("/town/admin/audit?action=admin.agent_quarantine")
        .await;
    assert!(
        browser
            .page_text()
            .await
            .contains("odd files in its workspace")
    );
    browser.shoot("09-audit").await;
    let _ = browser.client.close().await;
}
