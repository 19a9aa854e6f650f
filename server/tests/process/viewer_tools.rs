//! What the viewer and browser tests need beyond the server: the desktop viewer binary, an X
//! server (Xvfb) with Mesa behind it, headless Chromium and its driver, and the built web viewer.
//! Missing tools fail the test when `CI` is set and skip it, saying so, elsewhere.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Whether a missing `what` may skip the test (outside CI) or must fail it (in CI).
pub fn present(what: &str, found: bool) -> bool {
    if found {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{what} is required when CI is set (scripts/test.sh installs and builds it)"
    );
    eprintln!("SKIPPED: {what} is missing; run ./scripts/test.sh to install and build it");
    false
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The desktop viewer built beside the `village` binary (`cargo build -p village-client`),
/// or `VILLAGE_VIEWER_BIN`.
pub fn viewer_binary() -> Option<PathBuf> {
    let path = std::env::var_os("VILLAGE_VIEWER_BIN").map_or_else(
        || Path::new(env!("CARGO_BIN_EXE_village")).with_file_name("village-viewer"),
        PathBuf::from,
    );
    path.is_file().then_some(path)
}

/// Whether `program` is on the PATH.
pub fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A child process killed when dropped.
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An Xvfb display of its own for one test.
pub struct Xvfb {
    pub display: String,
    _child: Reaped,
}

/// The longest Xvfb may take to open its display.
const XVFB_START_WAIT: Duration = Duration::from_secs(10);

impl Xvfb {
    /// Starts Xvfb on a display it picks itself (`-displayfd`), and waits for it to print the
    /// display's number, which it does once it accepts connections.
    pub fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        let number = first_line_containing(child.stdout.take().expect("piped"), "");
        let child = Reaped(child);
        let number = number
            .recv_timeout(XVFB_START_WAIT)
            .expect("Xvfb prints its display number when ready");
        Xvfb {
            display: format!(":{}", number.trim()),
            _child: child,
        }
    }
}

/// The first line of `output` containing `needle`, sent when it is read (the reader thread
/// keeps draining the pipe afterwards so the child never blocks on it).
pub fn first_line_containing(
    output: impl std::io::Read + Send + 'static,
    needle: &'static str,
) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        for line in std::io::BufRead::lines(std::io::BufReader::new(output)).map_while(Result::ok) {
            if !sent && line.contains(needle) {
                // The test may have stopped waiting; the pipe is drained all the same.
                let _ = tx.send(line);
                sent = true;
            }
        }
    });
    rx
}

/// Runs `command` to its end, at most `limit`; returns whether it succeeded and its stderr.
pub fn run_bounded(mut command: Command, limit: Duration) -> (bool, String) {
    let child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(Ok(output)) => (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
        Ok(Err(error)) => (false, error.to_string()),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            (false, format!("still running after {limit:?}; killed"))
        }
    }
}

/// A decoded RGB(A) PNG.
pub struct Picture {
    pub width: u32,
    pub height: u32,
    /// Bytes per pixel (3 or 4).
    pub channels: usize,
    pub data: Vec<u8>,
}

impl Picture {
    pub fn read(path: &Path) -> Picture {
        let decoder = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(path).expect("the PNG exists"),
        ));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut data = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut data).expect("PNG data");
        data.truncate(info.buffer_size());
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            other => panic!("unexpected PNG colour type {other:?}"),
        };
        Picture {
            width: info.width,
            height: info.height,
            channels,
            data,
        }
    }

    pub fn pixel(&self, x: u32, y: u32) -> [u8; 3] {
        let i = (y as usize * self.width as usize + x as usize) * self.channels;
        [self.data[i], self.data[i + 1], self.data[i + 2]]
    }

    /// Distinct colours, and the share of the most common one.
    pub fn colour_spread(&self) -> (usize, f64) {
        let mut counts = std::collections::HashMap::new();
        for y in 0..self.height {
            for x in 0..self.width {
                *counts.entry(self.pixel(x, y)).or_insert(0u64) += 1;
            }
        }
        let top = counts.values().copied().max().unwrap_or(0);
        (
            counts.len(),
            top as f64 / f64::from(self.width * self.height),
        )
    }

    /// Whether some pixel within `radius` of (x, y) is within `tolerance` of `colour`.
    pub fn has_near(&self, x: f32, y: f32, radius: i32, colour: [u8; 3], tolerance: u8) -> bool {
        let (cx, cy) = (x.round() as i32, y.round() as i32);
        (-radius..=radius).any(|dy| {
            (-radius..=radius).any(|dx| {
                let (px, py) = (cx + dx, cy + dy);
                px >= 0
                    && py >= 0
                    && (px as u32) < self.width
                    && (py as u32) < self.height
                    && self
                        .pixel(px as u32, py as u32)
                        .iter()
                        .zip(colour)
                        .all(|(a, b)| a.abs_diff(b) <= tolerance)
            })
        })
    }
}

/// The longest chromedriver may take to listen.
const DRIVER_START_WAIT: Duration = Duration::from_secs(20);

/// Starts Debian's chromedriver on a free loopback port and waits for the line it prints
/// once it listens; returns its URL.
pub fn start_chromedriver() -> (String, Reaped) {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let started = first_line_containing(child.stdout.take().unwrap(), "started successfully");
    let reaped = Reaped(child);
    assert!(
        started.recv_timeout(DRIVER_START_WAIT).is_ok(),
        "chromedriver did not say it listens on {port}"
    );
    (format!("http://127.0.0.1:{port}"), reaped)
}
