//! Rate limits kept in memory with governor: login attempts per account (per account and
//! address for service accounts, which nobody else can then lock out) and per client address,
//! registrations per address and day (against password guessing and account floods), writes
//! per account (against one caller flooding the world or the board), requests without a token
//! per address (agents are limited by their tier: `economy::request_limits`); plus a bound on
//! password hashing running at once. Idle keys are forgotten by [`RateLimits::forget_idle`].

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::settings::AuthSettings;

const DAY: Duration = Duration::from_secs(86_400);

/// Password hashes or verifications running at once (each takes 19 MiB and tens of ms of
/// CPU): more wait their turn instead of exhausting memory.
pub const PASSWORD_WORK_CONCURRENT_MAX: usize = 4;

/// The limiters.
pub struct RateLimits {
    login_per_account: DefaultKeyedRateLimiter<String>,
    /// Sign-in attempts and registrations per client address (IPv6 by /64).
    login_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    /// Registrations per client address and day.
    registrations_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    writes_per_account: DefaultKeyedRateLimiter<u64>,
    /// Every request of a signed-in person, per account.
    requests_per_account: DefaultKeyedRateLimiter<u64>,
    /// Requests without a token, per client address.
    anonymous_per_ip: DefaultKeyedRateLimiter<IpAddr>,
    password_work: Semaphore,
    clock: DefaultClock,
}

/// The key of a client address: IPv4 as is, IPv6 by its /64 (one host usually holds a whole
/// /64, so counting single addresses would let it rotate past the limit).
fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
    }
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl RateLimits {
    pub fn new(settings: &AuthSettings) -> RateLimits {
        let per_minute = |n: u32| Quota::per_minute(at_least_one(n));
        // `n` a day, all of them at once if wanted: the budget refills one every day / n.
        let per_day = |n: u32| {
            let n = at_least_one(n);
            Quota::with_period(DAY / n.get())
                .unwrap_or(Quota::per_hour(NonZeroU32::MIN))
                .allow_burst(n)
        };
        RateLimits {
            login_per_account: RateLimiter::keyed(per_minute(
                settings.login_attempts_per_minute_per_account,
            )),
            login_per_ip: RateLimiter::keyed(per_minute(settings.login_attempts_per_minute_per_ip)),
            registrations_per_ip: RateLimiter::keyed(per_day(
                settings.registrations_per_day_per_ip,
            )),
            writes_per_account: RateLimiter::keyed(
                Quota::per_second(at_least_one(settings.writes_per_second_per_account))
                    .allow_burst(at_least_one(settings.write_burst_per_account)),
            ),
            requests_per_account: RateLimiter::keyed(
                per_minute(settings.requests_per_minute_per_account)
                    .allow_burst(at_least_one(settings.request_burst_per_account)),
            ),
            anonymous_per_ip: RateLimiter::keyed(
                per_minute(settings.anonymous_requests_per_minute_per_ip)
                    .allow_burst(at_least_one(settings.anonymous_request_burst_per_ip)),
            ),
            password_work: Semaphore::new(PASSWORD_WORK_CONCURRENT_MAX),
            clock: DefaultClock::default(),
        }
    }

    /// Waits for a turn to hash or verify a password; the turn ends when the permit drops.
    pub async fn password_permit(&self) -> Option<SemaphorePermit<'_>> {
        // The semaphore is never closed, so this is always `Some`; `None` would only skip the
        // bound, never the check itself.
        self.password_work.acquire().await.ok()
    }

    /// Takes one registration from `ip`: from its daily registrations, and from the same
    /// per-minute budget as its sign-in attempts.
    pub fn check_register(&self, ip: IpAddr) -> Result<(), Duration> {
        let key = address_key(ip);
        self.registrations_per_ip
            .check_key(&key)
            .map_err(|n| n.wait_time_from(self.clock.now()))?;
        self.login_per_ip
            .check_key(&key)
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Takes one login attempt from `ip`; `Err` says how long to wait.
    pub fn check_login_address(&self, ip: IpAddr) -> Result<(), Duration> {
        self.login_per_ip
            .check_key(&address_key(ip))
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Takes one login attempt for the account `username_key` from `ip`; `Err` says how long
    /// to wait. A person's attempts count per account, wherever they come from (against
    /// guessing from many addresses); a service account's count per account *and address*,
    /// so nobody elsewhere can lock the service out by failing on purpose (its password is a
    /// long random secret, which guessing does not reach).
    pub fn check_login_account(
        &self,
        username_key: &str,
        ip: IpAddr,
        service: bool,
    ) -> Result<(), Duration> {
        let key = if service {
            format!("{username_key}@{}", address_key(ip))
        } else {
            username_key.to_string()
        };
        self.login_per_account
            .check_key(&key)
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Takes one write for `account`; `Err` says how long to wait.
    pub fn check_write(&self, account: u64) -> Result<(), Duration> {
        self.writes_per_account
            .check_key(&account)
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Takes one request of a person's `account`; `Err` says how long to wait.
    pub fn check_account_request(&self, account: u64) -> Result<(), Duration> {
        self.requests_per_account
            .check_key(&account)
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Takes one request without a token from `ip`; `Err` says how long to wait.
    pub fn check_anonymous(&self, ip: IpAddr) -> Result<(), Duration> {
        self.anonymous_per_ip
            .check_key(&address_key(ip))
            .map_err(|n| n.wait_time_from(self.clock.now()))
    }

    /// Drops keys whose limits have fully recovered, so memory follows active callers only.
    pub fn forget_idle(&self) {
        self.login_per_account.retain_recent();
        self.login_per_ip.retain_recent();
        self.registrations_per_ip.retain_recent();
        self.writes_per_account.retain_recent();
        self.anonymous_per_ip.retain_recent();
        self.requests_per_account.retain_recent();
        self.requests_per_account.shrink_to_fit();
        self.login_per_account.shrink_to_fit();
        self.login_per_ip.shrink_to_fit();
        self.registrations_per_ip.shrink_to_fit();
        self.writes_per_account.shrink_to_fit();
        self.anonymous_per_ip.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::address_key;
    use std::net::IpAddr;

    #[test]
    fn ipv6_addresses_share_a_key_per_64_and_ipv4_stays_whole() {
        // Two addresses in one /64 count as one client; IPv4 addresses are their own key.
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(address_key(a), address_key(b));
        assert_ne!(address_key(a), address_key(c));
        let v4: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(address_key(v4), v4);
    }
}
