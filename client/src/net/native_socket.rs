//! The desktop viewer's WebSocket: tungstenite on its own thread, so that a slow network never
//! stalls a frame. Plain `ws://` only (the village server speaks no TLS itself; put a
//! TLS-terminating proxy in front and use the browser viewer for `https`).

use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use shared::codec::Frame;
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::{Message, WebSocket};

use super::session::STREAM_FRAME_BYTES_MAX;
use super::socket::{Outgoing, SocketEvent, SocketHandle, socket_pair};

/// How long a connect or handshake may take before the attempt counts as failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a read waits before the thread looks for frames to send.
const READ_POLL: Duration = Duration::from_millis(20);

/// Connects on a new thread and returns the viewer's ends at once.
pub fn connect(url: &str) -> SocketHandle {
    let (handle, events, outgoing) = socket_pair();
    let url = url.to_string();
    // If no thread can be made, the closure (and the sender in it) is dropped, and the viewer
    // sees a disconnected channel: a failed attempt like any other.
    let _ = std::thread::Builder::new()
        .name("village-ws".into())
        .spawn(move || run(&url, &events, &outgoing));
    handle
}

fn run(url: &str, events: &Sender<SocketEvent>, outgoing: &Receiver<Outgoing>) {
    let mut socket = match open(url) {
        Ok(socket) => socket,
        Err(reason) => {
            let _ = events.send(SocketEvent::Failed(reason));
            return;
        }
    };
    if events.send(SocketEvent::Opened).is_err() {
        return;
    }
    loop {
        loop {
            match outgoing.try_recv() {
                Ok(Outgoing::Frame(frame)) => {
                    if let Err(error) = socket.send(to_message(frame)) {
                        let _ = events.send(SocketEvent::Failed(error.to_string()));
                        return;
                    }
                }
                Ok(Outgoing::Close) | Err(TryRecvError::Disconnected) => {
                    let _ = socket.close(None);
                    let _ = socket.flush();
                    return;
                }
                Err(TryRecvError::Empty) => break,
            }
        }
        let event = match socket.read() {
            Ok(Message::Binary(bytes)) => SocketEvent::Frame(Frame::Binary(bytes.to_vec())),
            Ok(Message::Text(text)) => SocketEvent::Frame(Frame::Text(text.as_str().to_string())),
            Ok(Message::Close(frame)) => SocketEvent::Closed(frame.map_or_else(
                || "no reason given".into(),
                |f| format!("{} ({})", f.reason, u16::from(f.code)),
            )),
            Ok(_) => continue,
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
            {
                continue;
            }
            Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                SocketEvent::Closed("the connection closed".into())
            }
            Err(error) => SocketEvent::Failed(error.to_string()),
        };
        let last = matches!(event, SocketEvent::Closed(_) | SocketEvent::Failed(_));
        if events.send(event).is_err() || last {
            return;
        }
    }
}

fn open(url: &str) -> Result<WebSocket<TcpStream>, String> {
    let request = url.into_client_request().map_err(|e| e.to_string())?;
    let uri = request.uri();
    if uri.scheme_str() != Some("ws") {
        return Err(format!("{url}: the desktop viewer speaks ws:// only"));
    }
    let host = uri.host().ok_or_else(|| format!("{url}: no host"))?;
    let port = uri.port_u16().unwrap_or(80);
    let addr = (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host}: no address"))?;
    let stream =
        TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).map_err(|e| format!("{addr}: {e}"))?;
    stream
        .set_read_timeout(Some(CONNECT_TIMEOUT))
        .map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let config = WebSocketConfig::default()
        .max_message_size(Some(STREAM_FRAME_BYTES_MAX))
        .max_frame_size(Some(STREAM_FRAME_BYTES_MAX));
    let (socket, _response) =
        tungstenite::client::client_with_config(request, stream, Some(config))
            .map_err(|e| format!("handshake: {e}"))?;
    socket
        .get_ref()
        .set_read_timeout(Some(READ_POLL))
        .map_err(|e| e.to_string())?;
    Ok(socket)
}

fn to_message(frame: Frame) -> Message {
    match frame {
        Frame::Binary(bytes) => Message::Binary(bytes.into()),
        Frame::Text(text) => Message::Text(text.into()),
    }
}
