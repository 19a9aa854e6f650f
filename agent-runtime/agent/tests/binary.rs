//! The `village-agent` binary as the launcher runs it: `measure-disk` prints one line per
//! folder that the launcher's parser reads, and a setting that cannot be used stops the agent
//! with exit 78 before it reaches any server. (Its loop against a real server is tested in
//! `village-runtime`'s `agent_loop` tests.)

use std::process::Command;

use agent::disk_meter::parse_output;

const AGENT: &str = env!("CARGO_BIN_EXE_village-agent");

#[test]
fn measure_disk_prints_what_the_launcher_parses() {
    // A folder with 1 MiB in it is measured at 1 MiB or more, completely, in one line.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("data"), vec![1u8; 1 << 20]).unwrap();
    let path = dir.path().to_string_lossy().to_string();
    let output = Command::new(AGENT)
        .args(["measure-disk", "5", &path])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let measured = parse_output(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(measured.len(), 1, "{output:?}");
    assert_eq!(measured[0].path, path);
    assert!(measured[0].disk.complete);
    assert!(measured[0].disk.bytes >= 1 << 20, "{:?}", measured[0]);
}

#[test]
fn an_unusable_setting_is_exit_78() {
    // No server address, no id, no token: refused at once with the settings' exit code.
    let output = Command::new(AGENT).env_clear().output().unwrap();
    assert_eq!(output.status.code(), Some(78), "{output:?}");
    let bad_meter = Command::new(AGENT)
        .args(["measure-disk", "soon", "/"])
        .output()
        .unwrap();
    assert_eq!(bad_meter.status.code(), Some(78), "{bad_meter:?}");
}
