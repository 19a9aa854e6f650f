//! Tests of the agent's settings: each variable, its default, and the error naming it.
#![allow(clippy::unwrap_used)]

use super::*;

const TOKEN: &str = "avt_0123456789abcdef";

fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn minimal() -> BTreeMap<String, String> {
    vars(&[
        (SERVER_URL_VAR, "http://127.0.0.1:8080"),
        (AGENT_ID_VAR, "13"),
        (TOKEN_VAR, TOKEN),
    ])
}

fn error_of(vars: &BTreeMap<String, String>) -> String {
    AgentConfig::from_vars(vars).unwrap_err().to_string()
}

#[test]
fn minimal_settings_take_the_defaults() {
    // Only the three required variables give the documented defaults.
    let config = AgentConfig::from_vars(&minimal()).unwrap();
    assert_eq!(
        config.server,
        ServerAddress::Tcp {
            authority: "127.0.0.1:8080".into()
        }
    );
    assert_eq!(config.agent_id, AgentId(13));
    assert_eq!(config.token.expose(), TOKEN);
    assert_eq!(config.workspace, PathBuf::from(WORKSPACE_DEFAULT));
    assert_eq!(config.brain, BrainKind::Scripted);
    assert_eq!(config.llm_model, None);
    assert_eq!(config.step, Duration::from_millis(STEP_MS_DEFAULT));
}

#[test]
fn server_addresses_parse_for_tcp_and_unix_sockets() {
    // Both forms parse, and the near misses are refused naming the variable.
    assert_eq!(
        ServerAddress::parse("unix:/run/village/api.sock").unwrap(),
        ServerAddress::Unix {
            path: PathBuf::from("/run/village/api.sock")
        }
    );
    assert_eq!(
        ServerAddress::parse("http://village:8080/").unwrap(),
        ServerAddress::Tcp {
            authority: "village:8080".into()
        }
    );
    for bad in [
        "unix:api.sock",
        "https://x:1",
        "http://x",
        "http://x:port",
        "http://:80",
        "http://a/b:1",
    ] {
        let error = ServerAddress::parse(bad).unwrap_err().to_string();
        assert!(error.contains(SERVER_URL_VAR), "{bad}: {error}");
    }
}

#[test]
fn bad_values_name_their_variable() {
    // Every malformed or missing value is an error that says which variable is wrong.
    let cases: [(&str, Option<&str>); 9] = [
        (SERVER_URL_VAR, None),
        (AGENT_ID_VAR, Some("-3")),
        (BRAIN_VAR, Some("gpt")),
        (BRAIN_VAR, Some("LLM")),
        (LLM_MODEL_VAR, Some("")),
        (LLM_MODEL_VAR, Some("village small")),
        (STEP_MS_VAR, Some("49")),
        (STEP_MS_VAR, Some("60001")),
        (WORKSPACE_VAR, Some("")),
    ];
    for (var, value) in cases {
        let mut map = minimal();
        match value {
            Some(value) => map.insert(var.to_string(), value.to_string()),
            None => map.remove(var),
        };
        let error = error_of(&map);
        assert!(error.contains(var), "{var}={value:?}: {error}");
    }
    let mut map = minimal();
    map.insert(STEP_MS_VAR.into(), "50".into());
    assert_eq!(
        AgentConfig::from_vars(&map).unwrap().step,
        Duration::from_millis(50)
    );
}

#[test]
fn the_llm_brain_is_chosen_with_its_model() {
    // `llm` picks the LLM brain with no preferred model (the tier's best), or the one named
    // by the variable.
    let mut map = minimal();
    map.insert(BRAIN_VAR.into(), " llm ".into());
    let config = AgentConfig::from_vars(&map).unwrap();
    assert_eq!(config.brain, BrainKind::Llm);
    assert_eq!(config.llm_model, None);
    map.insert(LLM_MODEL_VAR.into(), "village-medium".into());
    assert_eq!(
        AgentConfig::from_vars(&map).unwrap().llm_model.as_deref(),
        Some("village-medium")
    );
    map.insert(BRAIN_VAR.into(), "scripted".into());
    let config = AgentConfig::from_vars(&map).unwrap();
    assert_eq!(config.brain, BrainKind::Scripted);
    let long = "m".repeat(LLM_MODEL_BYTES_MAX + 1);
    map.insert(LLM_MODEL_VAR.into(), long);
    assert!(error_of(&map).contains(LLM_MODEL_VAR));
}

#[test]
fn the_token_comes_from_the_variable_or_else_the_file() {
    // The variable wins; else the file is read and trimmed; neither is an error.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token");
    std::fs::write(&file, format!("  {TOKEN}-file\n")).unwrap();
    let mut map = minimal();
    map.insert(TOKEN_FILE_VAR.into(), file.display().to_string());
    assert_eq!(AgentConfig::from_vars(&map).unwrap().token.expose(), TOKEN);
    map.remove(TOKEN_VAR);
    let from_file = AgentConfig::from_vars(&map).unwrap().token;
    assert_eq!(from_file.expose(), format!("{TOKEN}-file"));
    map.remove(TOKEN_FILE_VAR);
    assert!(error_of(&map).contains(TOKEN_VAR));
    map.insert(
        TOKEN_FILE_VAR.into(),
        dir.path().join("absent").display().to_string(),
    );
    assert!(error_of(&map).contains(TOKEN_FILE_VAR));
}

#[test]
fn the_token_never_shows_in_debug_output_or_errors() {
    // Neither the config's Debug nor the error for a bad token contains the secret.
    let config = AgentConfig::from_vars(&minimal()).unwrap();
    assert!(!format!("{config:?}").contains(TOKEN));
    let mut map = minimal();
    map.insert(TOKEN_VAR.into(), "avt_secret with space".into());
    let error = error_of(&map);
    assert!(
        error.contains(TOKEN_VAR) && !error.contains("secret"),
        "{error}"
    );
}
