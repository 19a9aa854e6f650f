//! The guard against adversarial text: each kind of personal data, secret and abuse written
//! plainly and the ways an evader would hide it (obfuscated addresses, keys split by spaces
//! or zero-width characters, full-width and look-alike letters, leetspeak, huge posts), and
//! text that must pass (dates, prose that merely resembles a key, allowed links).

use std::time::{Duration, Instant};

use super::rules::{Action, ComplianceRules, RuleName, RulesError};
use super::{Guard, Submission};

fn guard() -> Guard {
    Guard::new(ComplianceRules::defaults())
}

/// The verdict's action and the rule that decided it, for `body` by a fresh author.
fn verdict(body: &str) -> (Action, Option<RuleName>) {
    titled_verdict("", body)
}

/// The verdict's action and the rule that decided it, for a post of `title` and `body`.
fn titled_verdict(title: &str, body: &str) -> (Action, Option<RuleName>) {
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
fn assert_fires(rule: RuleName, action: Action, bodies: &[&str]) {
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
fn assert_passes(bodies: &[&str]) {
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
fn banned_terms_split_by_any_separator_are_caught() {
    // Evasion class: two spaces, a tab, a newline, a hyphen, an underscore, dots, a dash or a
    // zero-width space between the words, and a term spelled out letter by letter.
    assert_fires(
        RuleName::BannedTerm,
        Action::Block,
        &[
            "just kill  yourself",
            "kill\tyourself",
            "kill\nyourself",
            "kill-yourself",
            "kill_yourself",
            "kill.yourself",
            "kill \u{2014} yourself",
            "kill\u{200b}yourself",
            "k1ll--y0urs3lf",
            "k.y.s",
            "k i l l  y o u r s e l f",
        ],
    );
}

#[test]
fn keys_split_by_separators_or_across_title_and_body_are_blocked() {
    // Evasion class: a key split by double spaces, newlines, dots or a tab, an AWS key id with
    // a space after `AKIA`, and a key whose start ends the title and whose rest opens the
    // body.
    assert_fires(
        RuleName::ApiKey,
        Action::Block,
        &[
            "sk-ab12  cd34  ef56  gh78  ij90  kl12",
            "sk-ab12cd34\nef56gh78\nij90kl12",
            "sk-ab12.cd34.ef56.gh78.ij90.kl12",
            "my id: AKIA IOSFODNN7EXAMPLE",
            "ghp_4fK9x2Lq\t8Zt1Wm3Rb7YcN5vH0jD6sG2pE8aU",
        ],
    );
    for (title, body) in [
        ("my key sk-ab12cd34ef56", "gh78ij90kl12mn34op56"),
        ("aws AKIA", "IOSFODNN7EXAMPLE"),
    ] {
        assert_eq!(
            titled_verdict(title, body),
            (Action::Block, Some(RuleName::ApiKey)),
            "{title:?} + {body:?}"
        );
    }
}

#[test]
fn numbers_in_other_digits_or_widely_spaced_are_caught() {
    // Evasion class: phone and card numbers in Arabic-Indic, Persian, Devanagari and Bengali
    // digits, or with four spaces between the groups.
    assert_fires(
        RuleName::Phone,
        Action::Hold,
        &[
            "call \u{660}\u{662}\u{660} \u{667}\u{669}\u{664}\u{666} \u{660}\u{669}\u{665}\u{668}",
            "\u{9e6}\u{9e8}\u{9e6} \u{9ed}\u{9ef}\u{9ea}\u{9ec} \u{9e6}\u{9ef}\u{9eb}\u{9ee}",
            "call 020    7946    0958",
        ],
    );
    assert_fires(
        RuleName::CardNumber,
        Action::Block,
        &[
            "card \u{664}\u{661}\u{661}\u{661} \u{661}\u{661}\u{661}\u{661} \u{661}\u{661}\u{661}\u{661} \u{661}\u{661}\u{661}\u{661}",
            "\u{6f4}\u{6f1}\u{6f1}\u{6f1}-\u{6f1}\u{6f1}\u{6f1}\u{6f1}-\u{6f1}\u{6f1}\u{6f1}\u{6f1}-\u{6f1}\u{6f1}\u{6f1}\u{6f1}",
            "\u{96a}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}\u{967}",
            "4111    1111    1111    1111",
            "4111\n1111\n1111\n1111",
        ],
    );
}

#[test]
fn pgp_private_keys_and_keys_of_other_issuers_are_blocked() {
    // Evasion class: a PGP private key block, and keys of issuers the guard did not list
    // (Google, Stripe test keys, GitLab, Hugging Face, npm) or with no prefix at all but
    // named as a key, secret, token or password.
    assert_fires(
        RuleName::PrivateKey,
        Action::Block,
        &[
            "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGXyz0kBCADQ",
            "--- begin  pgp  private  key  block ---",
        ],
    );
    assert_fires(
        RuleName::ApiKey,
        Action::Block,
        &[
            "maps key AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
            "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
            "glpat-xY12zA34bC56dE78fG90",
            "hf_aBcD1234eFgH5678iJkL9012mNoPqRsTuV",
            "npm_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8",
            "api_secret = 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
            "my token is 6d7a2f91c04e8b3a5f1d9e0c7b2a4f68",
            "password: hunter2hunter2hunter2",
        ],
    );
}

#[test]
fn keys_of_the_listed_issuers_are_still_blocked() {
    // GitHub (classic and fine-grained), Slack, Stripe live and OpenAI keys as written.
    assert_fires(
        RuleName::ApiKey,
        Action::Block,
        &[
            "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB",
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789",
            "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx",
            "xoxp-1234567890-0987654321-1122334455-abcdef0123456789",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "sk-ant-api03-ab12cd34ef56gh78ij90kl12mn34op56",
        ],
    );
}

#[test]
fn a_post_is_read_part_by_part_and_whole_tags_included() {
    // A card number whose digits run on into the body's is caught in the title alone; a
    // banned term spread over two tags is caught in the whole, a card number as a tag in the
    // tags; ordinary tags pass.
    let check = |title: &str, body: &str, tags: &[&str]| {
        let tags: Vec<String> = tags.iter().map(ToString::to_string).collect();
        let verdict = guard().check(
            Submission {
                author: "account:4",
                title,
                body,
                tags: &tags,
            },
            Instant::now(),
        );
        (
            verdict.action,
            verdict.deciding().map(|finding| finding.rule),
        )
    };
    let blocked = |rule| (Action::Block, Some(rule));
    assert_eq!(
        check("card 4111 1111 1111 1111", "2 more", &[]),
        blocked(RuleName::CardNumber)
    );
    assert_eq!(
        check("hello", "nice day", &["kill", "yourself"]),
        blocked(RuleName::BannedTerm)
    );
    assert_eq!(
        check("hello", "nice day", &["4111-1111-1111-1111"]),
        blocked(RuleName::CardNumber)
    );
    assert_eq!(
        check("hello", "", &["rust", "help-wanted", "2026"]),
        (Action::Allow, None)
    );
}

#[test]
fn ordinary_prose_with_numbers_dates_prices_and_hyphens_passes() {
    // Separators and digits are read loosely, so what they must not turn into a finding:
    // dates next to times, prices, versions, counts, ranges, hyphenated and underscored
    // words, key-like words, and the words key, token and password without a secret.
    assert_passes(&[
        "The meeting moved from 2026-11-22 14:30 to 2026-11-23 09:00.",
        "Due 22/11/2026, paid 03.12.2026 - see you 2026-12-24 2026-12-31.",
        "Prices: 12.50 aiD, 1,299.99 aiD; was 15.00 - now 9.99.",
        "Version 1.95.0 shipped; build 4521 passed 312 of 312 tests in 3.5 s.",
        "Take the 3-4 pm slot in room 12 on floor 3 - about 20 minutes.",
        "A well-known, state-of-the-art, long-term plan with a follow-up next week.",
        "My to-do app has a key-value store and a snake_case_name; the kill-switch works.",
        "The token bucket refills 10 per second; reset your password within 24 hours.",
        "The key is patience and practice: 2 hours a day, 5 days a week.",
        "sk-learn 0.24 and 1.2 differ in 3 ways; sk-learn with python makes 1234 models.",
        "Akia said she skilled herself up; don't overkill it yourself.",
        "We planted 1 200 trees and 35 000 flowers in 2025.",
        "Asia has 4.7 billion people; the Asia2024Summit was in Bangkok.",
        "commit 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b, sha256 checksum e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]);
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
