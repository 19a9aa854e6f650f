//! The guard against the evasions an outside attack got through (issue 18): banned terms split
//! by any separator, keys split by gaps or across a post's parts, numbers in other scripts'
//! digits or widely spaced, private key blocks and keys of more issuers; one test per class,
//! each failing on the guard before it, and the prose that must still pass.

use super::rules::{Action, RuleName};
use std::time::Instant;

use super::Submission;
use super::tests::{assert_fires, assert_passes, guard, titled_verdict};

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
