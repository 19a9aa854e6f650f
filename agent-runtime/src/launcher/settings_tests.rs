//! The launcher's settings: defaults, each refusal naming its key, a file's nodes, and the
//! shipped deploy files.

use super::*;

fn tls_files(path: &str) -> EngineTls {
    EngineTls {
        ca: path.into(),
        cert: path.into(),
        key: path.into(),
    }
}

fn valid() -> RuntimeSettings {
    let mut settings = RuntimeSettings::default();
    settings.server.password = "a long password".into();
    settings.launch.api_socket_dir = "/run/aivillage/api".into();
    settings
}

#[test]
fn the_defaults_with_a_password_pass_and_each_bad_setting_is_named() {
    // One local node as sparky1 by default; every refusal names the setting at fault.
    assert!(valid().check().is_ok());
    assert_eq!(valid().nodes[0].name, "sparky1");
    type Break = Box<dyn Fn(&mut RuntimeSettings)>;
    let cases: Vec<(&str, Break)> = vec![
        ("server.password", Box::new(|s| s.server.password.clear())),
        ("nodes:", Box::new(|s| s.nodes.clear())),
        (
            "repeated",
            Box::new(|s| {
                let twin = s.nodes[0].clone();
                s.nodes.push(twin);
            }),
        ),
        ("no CPU", Box::new(|s| s.nodes[0].memory_mib = 0)),
        ("interval_ms", Box::new(|s| s.reconcile.interval_ms = 10)),
        ("server.url", Box::new(|s| s.server.url = "ftp://x".into())),
        (
            "launch.api_socket_dir is needed",
            Box::new(|s| s.launch.api_socket_dir.clear()),
        ),
        (
            "not absolute",
            Box::new(|s| s.launch.api_socket_dir = "data/api".into()),
        ),
        (
            "nodes[0].tls needs a tcp://host:port",
            Box::new(|s| s.nodes[0].tls = Some(tls_files("/etc/hostname"))),
        ),
        (
            "nodes[0].tls.ca",
            Box::new(|s| {
                s.nodes[0].endpoint = "tcp://10.0.0.2:2376".into();
                s.nodes[0].tls = Some(tls_files("/nonexistent/ca.pem"));
            }),
        ),
    ];
    for (named, break_it) in cases {
        let mut settings = valid();
        break_it(&mut settings);
        let error = settings.check().unwrap_err().to_string();
        assert!(error.contains(named), "{named}: {error}");
    }
}

#[test]
fn a_file_sets_nodes_and_an_unknown_key_is_refused() {
    // Two nodes from TOML; a misspelt key is an error, not silently ignored.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("runtime.toml");
    std::fs::write(
        &file,
        r#"
        [server]
        password = "from the file"
        [launch]
        api_socket_dir = "/run/aivillage/api"
        [[nodes]]
        name = "sparky1"
        endpoint = "unix:///var/run/docker.sock"
        cpu_millicores = 16000
        memory_mib = 65536
        gpus = 1
        [[nodes]]
        name = "sparky2"
        endpoint = "tcp://10.0.0.2:2375"
        cpu_millicores = 16000
        memory_mib = 65536
        "#,
    )
    .unwrap();
    let settings = RuntimeSettings::load(Some(&file)).unwrap();
    assert_eq!(settings.nodes.len(), 2);
    assert_eq!(settings.nodes[0].capacity().gpus, 1);
    assert_eq!(settings.nodes[1].endpoint, "tcp://10.0.0.2:2375");
    assert_eq!(settings.password().unwrap(), "from the file");
    std::fs::write(&file, "[reconcile]\ninterval = 5\n").unwrap();
    let error = RuntimeSettings::load(Some(&file))
        .err()
        .unwrap()
        .to_string();
    assert!(error.contains("interval"), "{error}");
}

#[test]
fn the_shipped_runtime_file_loads_and_matches_the_node_file() {
    // deploy/runtime/runtime.toml is valid, and the node file's relay socket is the API
    // socket its containers mount, with the same egress port.
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut runtime: RuntimeSettings =
        layered(Some(&deploy.join("runtime/runtime.toml")), "NO_OVERRIDES__").unwrap();
    // Its TLS files live on the launcher's machine: stand-ins that exist here.
    let present = tls_files(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"));
    for node in &mut runtime.nodes {
        if node.tls.is_some() {
            node.tls = Some(present.clone());
        }
    }
    runtime.check().unwrap();
    let node =
        crate::node::settings::NodeSettings::load(Some(&deploy.join("node/node.toml"))).unwrap();
    assert_eq!(
        node.relay.socket,
        Path::new(&runtime.launch.api_socket_dir).join("api.sock")
    );
    assert_eq!(node.egress.port, runtime.egress.port);
    assert_eq!(node.egress.network, runtime.egress.network);
    assert!(runtime.nodes.iter().any(|n| n.name == node.node.name));
}
