//! Where the viewer finds its server. The desktop viewer reads `--server URL` or
//! `VILLAGE_VIEWER_SERVER` (default `http://127.0.0.1:8080`); the browser viewer talks to the
//! server that served its page. The only place that reads the environment or the page's URL.

use bevy::prelude::Resource;

/// The server's base URL, without a trailing slash: `http://127.0.0.1:8080`.
#[derive(Resource, Debug, Clone, PartialEq, Eq)]
pub struct ViewerConfig {
    pub server: String,
    /// Desktop only: save a PNG of the first settled frame here (and the camera and agent
    /// positions beside it as `PATH.json`), then exit. For tests and bug reports.
    pub screenshot: Option<std::path::PathBuf>,
    /// Desktop only: run the P7 scene with this many generated agents instead of connecting
    /// (see `bench_scene`), timing this many frames.
    pub bench: Option<(u32, usize)>,
}

impl ViewerConfig {
    pub fn new(server: &str) -> Self {
        Self {
            server: server.trim_end_matches('/').to_string(),
            screenshot: None,
            bench: None,
        }
    }

    /// The world stream's URL: the server's with `ws` for `http` (and `wss` for `https`).
    pub fn stream_url(&self) -> String {
        let rest = self
            .server
            .strip_prefix("https://")
            .map(|rest| format!("wss://{rest}"))
            .or_else(|| {
                self.server
                    .strip_prefix("http://")
                    .map(|rest| format!("ws://{rest}"))
            })
            .unwrap_or_else(|| format!("ws://{}", self.server));
        format!("{rest}/ws/world")
    }

    /// An API URL: `path` starts with `/`.
    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.server)
    }

    /// From the command line and environment (desktop).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn from_env() -> Result<Self, String> {
        let mut args = std::env::args().skip(1);
        let mut server = std::env::var("VILLAGE_VIEWER_SERVER").ok();
        let mut screenshot = None;
        let mut bench_agents = None;
        let mut bench_frames = 600;
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--server" => server = Some(args.next().ok_or("--server needs a URL")?),
                "--screenshot" => {
                    screenshot = Some(args.next().ok_or("--screenshot needs a PNG path")?.into());
                }
                "--bench-agents" => {
                    let n = args.next().ok_or("--bench-agents needs a number")?;
                    bench_agents = Some(
                        n.parse()
                            .map_err(|_| format!("--bench-agents {n:?}: not a number"))?,
                    );
                }
                "--bench-frames" => {
                    let n = args.next().ok_or("--bench-frames needs a number")?;
                    bench_frames = n
                        .parse()
                        .ok()
                        .filter(|&f| f > 0)
                        .ok_or_else(|| format!("--bench-frames {n:?}: give a count above 0"))?;
                }
                "-h" | "--help" => {
                    return Err(
                        "usage: village-viewer [--server http://HOST:PORT] [--screenshot PNG]\n\
                        \x20      [--bench-agents N [--bench-frames M]]\n\
                        The server defaults to VILLAGE_VIEWER_SERVER or http://127.0.0.1:8080.\n\
                        --screenshot saves the first settled frame (and PNG.json) and exits.\n\
                        --bench-agents draws N generated walkers (no server), prints frame times, exits."
                            .into(),
                    );
                }
                other => return Err(format!("unknown argument {other:?}; see --help")),
            }
        }
        let server = server.unwrap_or_else(|| "http://127.0.0.1:8080".into());
        if !(server.starts_with("http://") || server.starts_with("https://")) {
            return Err(format!(
                "--server {server:?}: give an http:// or https:// URL"
            ));
        }
        Ok(Self {
            screenshot,
            bench: bench_agents.map(|n| (n, bench_frames)),
            ..Self::new(&server)
        })
    }

    /// The origin of the page that loaded the viewer (browser).
    #[cfg(target_arch = "wasm32")]
    pub fn from_page() -> Result<Self, String> {
        let location = web_sys::window().ok_or("no window")?.location();
        let origin = location.origin().map_err(|e| format!("{e:?}"))?;
        Ok(Self::new(&origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_urls_follow_the_server_scheme() {
        // http gives ws, https gives wss, and a trailing slash is not doubled.
        assert_eq!(
            ViewerConfig::new("http://127.0.0.1:8080/").stream_url(),
            "ws://127.0.0.1:8080/ws/world"
        );
        assert_eq!(
            ViewerConfig::new("https://village.example").stream_url(),
            "wss://village.example/ws/world"
        );
        assert_eq!(
            ViewerConfig::new("http://h:1").api("/auth/login"),
            "http://h:1/auth/login"
        );
    }
}
