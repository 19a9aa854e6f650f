//! Rate limits kept in memory with governor: login attempts per account and per client
//! address (against password guessing), and writes per account (against one caller
//! flooding the world or the board). Idle keys are forgotten by [`RateLimits::forget_idle`].

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::AuthSettings;

/// The limiters.
pub struct RateLimits {
    login_per_account: DefaultKeyedRateLimiter<String>,
    login_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    writes_per_account: DefaultKeyedRateLimiter<u64>,
    clock: DefaultClock,
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(settings: &AuthSettings) -> RateLimits {
        let per_minute = |n: u32| Quota::per_minute(at_least_one(n));
        RateLimits {
            login_per_account: RateLimiter::keyed(per_minute(
                settings.login_attempts_per_minute_per_account,
            )),
            login_per_ip: RateLimiter::keyed(per_minute(settings.login_attempts_per_minute_per_ip)),
            writes_per_account: RateLimiter::keyed(
                Quota::per_second(at_least_one(settings.writes_per_second_per_account))
                    .allow_burst(at_least_one(settings.write_burst_per_account)),
            ),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one login attempt for `username_key` from `ip`; `Err` says how long to wait.
    pub fn check_login(&self, username_key: &str, ip: IpAddr) -> Result<(), Duration> {
        self.login_per_ip
            .check_key(&ip)
            .map_err(|n| n.wait_time_from(self.clock.now()))?;
        self.login_per_account
            .check_key(&username_key.to_string())
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Takes one write for `account`; `Err` says how long to wait.
    pub fn check_write(&self, account: u64) -> Result<(), Duration> {
        self.writes_per_account
            .check_key(&account)
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Drops keys whose limits have fully recovered, so memory follows active callers only.
    pub fn forget_idle(&self) {
        self.login_per_account.retain_recent();
        self.login_per_ip.retain_recent();
        self.writes_per_account.retain_recent();
        self.login_per_account.shrink_to_fit();
        self.login_per_ip.shrink_to_fit();
        self.writes_per_account.shrink_to_fit();
    }
}
