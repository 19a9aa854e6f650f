//! The disk limit's rule, with no I/O: whether an agent's measured disk (its container's
//! writable layer and its workspace, as the runtime reports it) is over its tier's `disk_mib`,
//! and the reason the kill switch records when it is. The route (`http::runtime_routes`)
//! pauses such an agent (ADR 0013).
//!
//! The engine cannot cap a volume here, so the limit is enforced after the fact: an agent can
//! overshoot by what it writes between two measurements. A count the runtime had to cut short
//! (more files than it could walk in its time) is over any limit: nobody needs that many files
//! in a tier's disk, and otherwise a flood of files would hide the bytes behind it.

use shared::runtime::DiskUse;

const MIB: u64 = 1 << 20;

/// Why `disk` breaks a limit of `disk_mib` in tier `tier`, or `None` when it does not.
pub fn over_limit(disk: DiskUse, disk_mib: u32, tier: &str) -> Option<String> {
    let limit = u64::from(disk_mib) * MIB;
    if !disk.complete {
        return Some(format!(
            "disk limit: more files than the runtime can count ({} counted, {} MiB so far); \
             tier {tier} allows {disk_mib} MiB",
            disk.entries,
            disk.bytes.div_ceil(MIB)
        ));
    }
    (disk.bytes > limit).then(|| {
        format!(
            "disk limit: {} MiB used (writable layer and workspace), over the {disk_mib} MiB \
             of tier {tier}",
            disk.bytes.div_ceil(MIB)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counted(bytes: u64, complete: bool) -> DiskUse {
        DiskUse {
            bytes,
            entries: 42,
            complete,
        }
    }

    #[test]
    fn up_to_the_limit_is_within_one_byte_more_is_over() {
        assert_eq!(over_limit(counted(512 * MIB, true), 512, "seedling"), None);
        let reason = over_limit(counted(512 * MIB + 1, true), 512, "seedling").unwrap();
        assert!(reason.contains("513 MiB used"), "{reason}");
        assert!(reason.contains("512 MiB of tier seedling"), "{reason}");
    }

    #[test]
    fn a_count_cut_short_is_over_whatever_it_reached() {
        let reason = over_limit(counted(MIB, false), 512, "seedling").unwrap();
        assert!(
            reason.contains("more files than the runtime can count"),
            "{reason}"
        );
        assert!(reason.contains("42 counted"), "{reason}");
    }

    #[test]
    fn reasons_fit_the_kill_switchs_column() {
        let worst = over_limit(counted(u64::MAX, false), u32::MAX, &"t".repeat(32)).unwrap();
        assert!(worst.chars().count() <= crate::kill_switch::REASON_CHARS_MAX);
    }
}
