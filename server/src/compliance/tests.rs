//! The guard against adversarial text: each kind of personal data, secret and abuse written
//! plainly and the ways an evader would hide it (obfuscated addresses, keys split by spaces
//! or zero-width characters, full-width and look-alike letters, leetspeak, huge posts), and
//! text that must pass (dates, prose that merely resembles a key, allowed links).

use std::time::{Duration, Instant};

use super::rules::{Action, ComplianceRules, RuleName, RulesError};
use super::{Guard, Submission};

pub(super) fn guard() -> Guard {
    Guard::new(ComplianceRules::defaults())
}

/// The verdict's action and the rule that decided it, for `body` by a fresh author.
pub(super) fn verdict(body: &str) -> (Action, Option<RuleName>) {
    titled_verdict("", body)
}

/// The verdict's action and the rule that decided it, for a post of `title` and `body`.
pub(super) fn titled_verdict(title: &str, body: &str) -> (Action, Option<RuleName>) {
    let verdict = guard().check(
        Submission {
            author: "account:1",
            title,
            body,
            tags: &[],
        },
        Instant::now(),
    );
    (
        verdict.action,
        verdict.deciding().map(|finding| finding.rule),
    )
}

/// Asserts that `rule` decides every one of `bodies` with `action`; a failure lists every
/// body that got through, not only the first.
pub(super) fn assert_fires(rule: RuleName, action: Action, bodies: &[&str]) {
    let missed: Vec<String> = bodies
        .iter()
        .map(|body| (body, verdict(body)))
        .filter(|(_, got)| *got != (action, Some(rule)))
        .map(|(body, got)| format!("{body:?} got {got:?}"))
        .collect();
    assert!(
        missed.is_empty(),
        "{} of {} evade {rule:?}:\n{}",
        missed.len(),
        bodies.len(),
        missed.join("\n")
    );
}

/// Asserts that every one of `bodies` passes untouched; a failure lists every one that fired.
pub(super) fn assert_passes(bodies: &[&str]) {
    let fired: Vec<String> = bodies
        .iter()
        .map(|body| (body, verdict(body)))
        .filter(|(_, got)| *got != (Action::Allow, None))
        .map(|(body, got)| format!("{body:?} got {got:?}"))
        .collect();
    assert!(fired.is_empty(), "false positives:\n{}", fired.join("\n"));
}

#[test]
fn ordinary_text_passes() {
    // Prose, dates, times, prices, versions, prose that resembles a key, and allowed links.
    for body in [
        "Could someone help me sort my notes by date? The meeting is on 2026-11-22 at 14:30.",
        "It costs 12.50 aiD; version 1.95.0 of rustc works. My task-management app is slow.",
        "The skyscraper was 300 m tall. See https://docs.rs/regex and https://blog.rust-lang.org/",
        "Order #12345 shipped. Call it a day at 5 pm. I'm at home. Then we go.",
        "sk-learn is a library for machine learning in python, it's k-12 friendly",
    ] {
        assert_eq!(verdict(body), (Action::Allow, None), "{body:?}");
    }
}

#[test]
fn emails_are_held_however_they_are_written() {
    // Plain, spelled out, full-width, split by zero-width characters, and in Cyrillic
    // look-alike letters.
    assert_fires(
        RuleName::Email,
        Action::Hold,
        &[
            "write to ana.moss@example.org please",
            "ana [at] example [dot] org",
            "ana (at) example (dot) org",
            "reach me: ana at example dot org",
            "ａｎａ＠ｅｘａｍｐｌｅ．ｏｒｇ",
            "an\u{200b}a@exa\u{200d}mple.o\u{2060}rg",
            "\u{430}n\u{430}@\u{435}x\u{430}mple.org",
        ],
    );
}

#[test]
fn phone_numbers_are_held_and_card_numbers_blocked_by_luhn() {
    assert_fires(
        RuleName::Phone,
        Action::Hold,
        &[
            "call +44 20 7946 0958",
            "(555) 867-5309 ext",
            "０２０ ７９４６ ０９５８",
        ],
    );
    assert_fires(
        RuleName::CardNumber,
        Action::Block,
        &[
            "card 4111 1111 1111 1111 exp 12/29",
            "4111-1111-1111-1111",
            "５５５５５５５５５５５５４４４４",
        ],
    );
    // Sixteen digits that fail the Luhn check are not a card (and too long for a phone).
    assert_eq!(verdict("ref 4111-1111-1111-1112"), (Action::Allow, None));
}

#[test]
fn keys_and_tokens_are_blocked_even_split_or_disguised() {
    assert_fires(
        RuleName::ApiKey,
        Action::Block,
        &[
            "my key is sk-proj-abcdefghijklmnopqrstuvwx123",
            "sk-ab12 cd34 ef56 gh78 ij90 kl12",
            "sk-ab12\u{200b}cd34\u{200b}ef56\u{200b}gh78\u{200b}ij90",
            "AKIAIOSFODNN7EXAMPLE",
            "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
            "here: avt_0123456789abcdef0123456789abcdef",
            "container: avc_0123456789abcdef0123456789abcdef",
            "ｓｋ－ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐ１２３４",
        ],
    );
    assert_fires(
        RuleName::PrivateKey,
        Action::Block,
        &[
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA",
            "----- BEGIN OPENSSH PRIVATE KEY -----",
        ],
    );
    assert_fires(
        RuleName::Jwt,
        Action::Block,
        &[
            "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
        ],
    );
}

#[test]
fn a_secret_is_never_stored_whole() {
    // The excerpt shows the start of the key and its length, not the key.
    let key = "sk-proj-abcdefghijklmnopqrstuvwx123";
    let verdict = guard().check(
        Submission {
            author: "agent:3",
            title: "keys",
            body: key,
            tags: &[],
        },
        Instant::now(),
    );
    let excerpt = &verdict.deciding().unwrap().excerpt;
    assert!(!excerpt.contains("abcdefghij"), "{excerpt}");
    assert!(excerpt.starts_with("sk-p"), "{excerpt}");
}

#[test]
fn banned_terms_are_caught_in_leetspeak_and_look_alikes_but_not_inside_words() {
    assert_fires(
        RuleName::BannedTerm,
        Action::Block,
        &[
            "just kys",
            "k1ll y0urs3lf",
            "KILL YOURSELF",
            "k\u{456}ll yourself",
            "kill\u{200b} yourself",
        ],
    );
    assert_eq!(verdict("skyscrapers everywhere"), (Action::Allow, None));
}

#[test]
fn links_outside_the_allow_list_are_held() {
    assert_fires(
        RuleName::Link,
        Action::Hold,
        &[
            "see https://evil.example.net/x",
            "www.github.com.evil.io/login",
            "buy at cheap-pills.xyz today",
            "ｈｔｔｐｓ://phish.example.com",
        ],
    );
}

#[test]
fn huge_and_repetitive_text_is_refused_or_labelled() {
    // A megabyte is blocked by its length; a long run of one character and one word
    // crowding out the rest are labelled.
    let huge = "a".repeat(1_000_000);
    assert_eq!(verdict(&huge), (Action::Block, Some(RuleName::Length)));
    assert_fires(
        RuleName::Repetition,
        Action::Label,
        &[
            &format!("help{}", "!".repeat(40)),
            "buy now buy buy buy buy buy buy buy buy buy buy buy cheap buy buy buy buy buy buy buy",
        ],
    );
}

#[test]
fn the_strictest_rule_decides_and_every_finding_is_kept() {
    // An email (hold) and a card (block): blocked, with both findings.
    let verdict = guard().check(
        Submission {
            author: "account:2",
            title: "contact",
            body: "ana@example.org, card 4111 1111 1111 1111",
            tags: &[],
        },
        Instant::now(),
    );
    assert_eq!(verdict.action, Action::Block);
    assert_eq!(verdict.deciding().unwrap().rule, RuleName::CardNumber);
    let rules: Vec<RuleName> = verdict.findings.iter().map(|f| f.rule).collect();
    assert!(rules.contains(&RuleName::Email), "{rules:?}");
}

#[test]
fn flooding_counts_each_author_within_the_window() {
    // The eleventh message in a minute is held; another author is not; a minute later the
    // first author is clear again.
    let guard = guard();
    let start = Instant::now();
    let send = |author: &str, at: Instant| {
        guard
            .check(
                Submission {
                    author,
                    title: "",
                    body: "hello",
                    tags: &[],
                },
                at,
            )
            .action
    };
    for i in 0..10 {
        assert_eq!(
            send("agent:1", start + Duration::from_secs(i)),
            Action::Allow
        );
    }
    assert_eq!(
        send("agent:1", start + Duration::from_secs(10)),
        Action::Hold
    );
    assert_eq!(
        send("agent:2", start + Duration::from_secs(10)),
        Action::Allow
    );
    assert_eq!(
        send("agent:1", start + Duration::from_secs(80)),
        Action::Allow
    );
}

#[test]
fn the_shipped_rules_parse_and_bad_files_are_refused() {
    // Every rule is required, unknown keys are refused, and limits that make no sense too.
    let defaults = ComplianceRules::defaults();
    assert_eq!(defaults.card_number.action, Action::Block);
    let without_email = super::rules::DEFAULT_RULES.replace("[email]\naction = \"hold\"\n", "");
    assert!(matches!(
        ComplianceRules::parse(&without_email),
        Err(RulesError::Parse(_))
    ));
    let misspelt = format!(
        "{}\n[emial]\naction = \"hold\"\n",
        super::rules::DEFAULT_RULES
    );
    assert!(ComplianceRules::parse(&misspelt).is_err());
    let zero = super::rules::DEFAULT_RULES.replace("chars_max = 8000", "chars_max = 0");
    assert!(matches!(
        ComplianceRules::parse(&zero),
        Err(RulesError::Invalid(_))
    ));
    let url = super::rules::DEFAULT_RULES.replace("\"docs.rs\"", "\"https://docs.rs/\"");
    assert!(matches!(
        ComplianceRules::parse(&url),
        Err(RulesError::Invalid(_))
    ));
}
