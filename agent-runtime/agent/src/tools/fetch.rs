//! The HTTP fetch tool: a GET of one `http://` or `https://` URL through the container's egress
//! proxy, by the image's own client (`curl`, or busybox `wget`, which speaks only plain HTTP),
//! run as a command with the proxy in its environment. The URL is checked first (scheme, no
//! spaces or quotes) and passed as one quoted word, so it can never become shell syntax. The
//! body is the output; the proxy decides where it may go and logs it.

use std::path::Path;
use std::time::Duration;

use super::{RawRun, shell};

/// Longest URL fetched.
pub const URL_CHARS_MAX: usize = 2_000;
/// Largest body curl downloads, in bytes.
const BODY_BYTES_MAX: u32 = 1024 * 1024;

/// Fetches `url` through `proxy`, from `cwd`, for at most `timeout`.
pub async fn run(url: &str, cwd: &Path, timeout: Duration, proxy: &str) -> RawRun {
    let url = url.trim();
    if let Err(why) = check(url) {
        return RawRun::refused(why);
    }
    let seconds = timeout.as_secs().saturating_sub(2).max(1);
    let command = if Path::new("/usr/bin/curl").exists() {
        format!(
            "curl -sS -L --fail-with-body --max-time {seconds} --max-filesize {BODY_BYTES_MAX} -- '{url}'"
        )
    } else if url.starts_with("http://") {
        // No `-T`: Debian's static busybox wget crashes with it; the tool's own timeout
        // bounds the call.
        format!("wget -q -O- -- '{url}'")
    } else {
        return RawRun::refused("this image has no curl, and its wget speaks only http://");
    };
    shell::run(&command, cwd, timeout, Some(proxy)).await
}

/// Why `url` cannot be fetched, if it cannot.
pub fn check(url: &str) -> Result<(), String> {
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("{url:?} is not an http:// or https:// URL"));
    }
    if url.chars().count() > URL_CHARS_MAX {
        return Err(format!("the URL is longer than {URL_CHARS_MAX} characters"));
    }
    if url
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '\'' | '"' | '\\' | '`'))
    {
        return Err("the URL holds spaces, quotes or control characters".to_string());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_pass() {
        // Both schemes pass; other schemes, quotes, spaces and shell syntax do not.
        assert!(check("https://example.org/a?b=c&d=e").is_ok());
        assert!(check("http://example.org/").is_ok());
        for bad in [
            "ftp://example.org/",
            "file:///etc/passwd",
            "http://example.org/'; rm -rf /'",
            "http://example.org/ x",
            "http://example.org/$(id)`",
            "http://example.org/\u{7}",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
    }
}
