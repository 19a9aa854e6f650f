//! The browser viewer's WebSocket: the page's own, with its callbacks feeding the same
//! channels the native thread feeds. The socket object is not `Send`, so it lives in a
//! thread-local slot (the browser runs the app on one thread) and frames to send are passed to
//! it by [`flush_outgoing`] once per frame.

use std::cell::RefCell;

use crossbeam_channel::{Receiver, Sender};
use shared::codec::Frame;
use wasm_bindgen::JsCast;
use wasm_bindgen::closure::Closure;
use web_sys::{BinaryType, CloseEvent, ErrorEvent, MessageEvent, WebSocket};

use super::socket::{Outgoing, SocketEvent, SocketHandle, socket_pair};

struct Open {
    socket: WebSocket,
    outgoing: Receiver<Outgoing>,
    // Kept alive as long as the socket can call them.
    _callbacks: Vec<Closure<dyn FnMut(web_sys::Event)>>,
}

thread_local! {
    static CURRENT: RefCell<Option<Open>> = const { RefCell::new(None) };
}

/// Opens the page's WebSocket to `url`, replacing (and closing) any earlier one.
pub fn connect(url: &str) -> SocketHandle {
    let (handle, events, outgoing) = socket_pair();
    close_current();
    let socket = match WebSocket::new(url) {
        Ok(socket) => socket,
        Err(error) => {
            let _ = events.try_send(SocketEvent::Failed(format!("{error:?}")));
            return handle;
        }
    };
    socket.set_binary_type(BinaryType::Arraybuffer);
    let callbacks = vec![
        on(&socket, "open", events.clone(), |_| {
            Some(SocketEvent::Opened)
        }),
        on(&socket, "message", events.clone(), |event| {
            let message = event.dyn_into::<MessageEvent>().ok()?;
            let data = message.data();
            if let Some(text) = data.as_string() {
                return Some(SocketEvent::Frame(Frame::Text(text)));
            }
            let bytes = js_sys::Uint8Array::new(&data).to_vec();
            Some(SocketEvent::Frame(Frame::Binary(bytes)))
        }),
        on(&socket, "close", events.clone(), |event| {
            let close = event.dyn_into::<CloseEvent>().ok()?;
            Some(SocketEvent::Closed(format!(
                "{} ({})",
                close.reason(),
                close.code()
            )))
        }),
        on(&socket, "error", events, |event| {
            let detail = event
                .dyn_into::<ErrorEvent>()
                .map(|e| e.message())
                .unwrap_or_else(|_| "the connection failed".into());
            Some(SocketEvent::Failed(detail))
        }),
    ];
    CURRENT.with(|slot| {
        *slot.borrow_mut() = Some(Open {
            socket,
            outgoing,
            _callbacks: callbacks,
        });
    });
    handle
}

/// Sends what the viewer queued; closes the socket when asked to.
pub fn flush_outgoing() {
    CURRENT.with(|slot| {
        let mut slot = slot.borrow_mut();
        let Some(open) = slot.as_ref() else { return };
        let mut close = false;
        while let Ok(item) = open.outgoing.try_recv() {
            match item {
                Outgoing::Frame(Frame::Binary(bytes)) => {
                    let _ = open.socket.send_with_u8_array(&bytes);
                }
                Outgoing::Frame(Frame::Text(text)) => {
                    let _ = open.socket.send_with_str(&text);
                }
                Outgoing::Close => close = true,
            }
        }
        if close {
            let _ = open.socket.close();
            *slot = None;
        }
    });
}

fn close_current() {
    CURRENT.with(|slot| {
        if let Some(open) = slot.borrow_mut().take() {
            let _ = open.socket.close();
        }
    });
}

fn on(
    socket: &WebSocket,
    name: &str,
    events: Sender<SocketEvent>,
    read: impl Fn(web_sys::Event) -> Option<SocketEvent> + 'static,
) -> Closure<dyn FnMut(web_sys::Event)> {
    let callback = Closure::<dyn FnMut(web_sys::Event)>::new(move |event: web_sys::Event| {
        if let Some(item) = read(event) {
            let _ = events.try_send(item);
        }
    });
    let _ = socket.add_event_listener_with_callback(name, callback.as_ref().unchecked_ref());
    callback
}
