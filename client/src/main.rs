//! `village-viewer`: the desktop viewer (`--server http://HOST:PORT`), and the browser
//! viewer's entry point when built for wasm32.

fn main() {
    #[cfg(not(target_arch = "wasm32"))]
    let config = match client::ViewerConfig::from_env() {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    #[cfg(target_arch = "wasm32")]
    let config = match client::ViewerConfig::from_page() {
        Ok(config) => config,
        Err(message) => {
            web_sys::console::error_1(&message.into());
            return;
        }
    };
    client::viewer_app(config).run();
}
