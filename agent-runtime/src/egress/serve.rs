//! The proxy's connections: accept (at most `connections_max` at once), read each request,
//! check the credential, then the destination, then tunnel (`CONNECT`) or forward (`GET` and
//! `HEAD` of `http://` URLs, the answer collected up to its bound), and send one
//! [`EgressRecord`] per request to the log channel (dropped, with a warning, when the channel
//! is full: logging must never stall traffic). A refused request reaches nothing.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_util::sync::CancellationToken;

use super::{EgressRecord, EgressSettings};

/// How long a client may take to send a request's head.
const HEAD_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// Headers that belong to one hop and are not passed on.
const HOP_HEADERS: [&str; 8] = [
    "connection",
    "keep-alive",
    "proxy-authorization",
    "proxy-authenticate",
    "proxy-connection",
    "te",
    "trailer",
    "upgrade",
];

type Answer = Response<Full<Bytes>>;

/// Serves `listener` until `stop`; each request's record goes to `records`.
pub async fn serve(
    listener: TcpListener,
    settings: EgressSettings,
    records: mpsc::Sender<EgressRecord>,
    stop: CancellationToken,
) {
    let settings = Arc::new(settings);
    let slots = Arc::new(Semaphore::new(settings.connections_max.max(1)));
    loop {
        // A free slot first, then a connection: at most `connections_max` are served.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => Arc::new(slot),
                Err(_) => break,
            },
            () = stop.cancelled() => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "egress proxy: accept failed");
                    // Out of file descriptors, say: pause rather than spin.
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = stop.cancelled() => break,
        };
        let (settings, records) = (settings.clone(), records.clone());
        tokio::spawn(async move {
            // The connection holds its slot, and so does a tunnel it becomes.
            let held = slot.clone();
            let service = service_fn(move |request| {
                let (settings, records, slot) = (settings.clone(), records.clone(), held.clone());
                async move {
                    Ok::<_, Infallible>(handle(request, peer, &settings, &records, slot).await)
                }
            });
            let served = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEAD_READ_TIMEOUT)
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
            if let Err(error) = served {
                tracing::debug!(%error, %peer, "egress proxy: connection ended with an error");
            }
        });
    }
}

/// One request: its answer; its record is sent here, or by the tunnel when it closes.
async fn handle(
    request: Request<Incoming>,
    peer: SocketAddr,
    settings: &EgressSettings,
    records: &mpsc::Sender<EgressRecord>,
    slot: Arc<OwnedSemaphorePermit>,
) -> Answer {
    let started = Instant::now();
    let target = target_of(&request);
    let mut record = EgressRecord {
        agent: None,
        peer,
        method: request.method().to_string(),
        target: target
            .as_ref()
            .map_or_else(|| request.uri().to_string(), |(h, p)| format!("{h}:{p}")),
        status: 0,
        refusal: None,
        bytes_up: 0,
        bytes_down: 0,
        duration_ms: 0,
    };
    let proved = request
        .headers()
        .get(header::PROXY_AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| settings.key.verify(v));
    let Some(agent) = proved else {
        let mut answer = refuse(
            &mut record,
            StatusCode::PROXY_AUTHENTICATION_REQUIRED,
            "no valid proxy credential",
        );
        answer.headers_mut().insert(
            header::PROXY_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"aivillage-egress\""),
        );
        return send(records, record, started, answer);
    };
    record.agent = Some(agent);
    let Some((host, port)) = target else {
        let answer = refuse(
            &mut record,
            StatusCode::BAD_REQUEST,
            "not a proxy request: use CONNECT host:port or GET http://...",
        );
        return send(records, record, started, answer);
    };
    let addresses = match settings.policy.resolve(&host, port).await {
        Ok(addresses) => addresses,
        Err(refusal) => {
            let answer = refuse(&mut record, StatusCode::FORBIDDEN, &refusal.to_string());
            return send(records, record, started, answer);
        }
    };
    let connected = tokio::time::timeout(
        settings.connect_timeout,
        TcpStream::connect(addresses.as_slice()),
    )
    .await;
    let upstream = match connected {
        Ok(Ok(stream)) => stream,
        Ok(Err(error)) => {
            let answer = refuse(&mut record, StatusCode::BAD_GATEWAY, &error.to_string());
            return send(records, record, started, answer);
        }
        Err(_) => {
            let answer = refuse(
                &mut record,
                StatusCode::GATEWAY_TIMEOUT,
                "connecting timed out",
            );
            return send(records, record, started, answer);
        }
    };
    if request.method() == Method::CONNECT {
        record.status = 200;
        let limit = settings.tunnel_time_max;
        let records = records.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match hyper::upgrade::on(request).await {
                Ok(upgraded) => {
                    let mut client = TokioIo::new(upgraded);
                    let mut upstream = upstream;
                    let copied = tokio::time::timeout(
                        limit,
                        tokio::io::copy_bidirectional(&mut client, &mut upstream),
                    )
                    .await;
                    if let Ok(Ok((up, down))) = copied {
                        (record.bytes_up, record.bytes_down) = (up, down);
                    } else if copied.is_err() {
                        record.refusal = Some("tunnel closed at its time limit".to_string());
                    }
                }
                Err(error) => record.refusal = Some(format!("upgrade failed: {error}")),
            }
            send(&records, record, started, ());
        });
        return Response::new(Full::new(Bytes::new()));
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let answer = refuse(
            &mut record,
            StatusCode::METHOD_NOT_ALLOWED,
            "only GET and HEAD of http:// URLs, or CONNECT",
        );
        return send(records, record, started, answer);
    }
    let answer = match forward(request, upstream, &host, port, settings.response_bytes_max).await {
        Ok((answer, bytes)) => {
            record.status = answer.status().as_u16();
            record.bytes_down = bytes;
            answer
        }
        Err(why) => refuse(&mut record, StatusCode::BAD_GATEWAY, &why),
    };
    send(records, record, started, answer)
}

/// Sends a plain request on to its destination over `upstream`: the answer, collected up to
/// `bytes_max`, and its size.
async fn forward(
    request: Request<Incoming>,
    upstream: TcpStream,
    host: &str,
    port: u16,
    bytes_max: usize,
) -> Result<(Answer, u64), String> {
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(upstream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(connection);
    let path = request
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let mut outgoing = Request::builder()
        .method(request.method().clone())
        .uri(path)
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    copy_headers(request.headers(), outgoing.headers_mut());
    let authority = if port == 80 {
        host.to_string()
    } else {
        format!("{host}:{port}")
    };
    let host_value = HeaderValue::from_str(&authority).map_err(|e| e.to_string())?;
    outgoing.headers_mut().insert(header::HOST, host_value);
    let response = sender
        .send_request(outgoing)
        .await
        .map_err(|e| e.to_string())?;
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, bytes_max)
        .collect()
        .await
        .map_err(|_| format!("the answer is over {bytes_max} bytes"))?
        .to_bytes();
    let size = body.len() as u64;
    let mut answer = Response::new(Full::new(body));
    *answer.status_mut() = parts.status;
    copy_headers(&parts.headers, answer.headers_mut());
    Ok((answer, size))
}

/// Copies every header but the hop-by-hop ones.
fn copy_headers(from: &HeaderMap, to: &mut HeaderMap) {
    for (name, value) in from {
        if !HOP_HEADERS.contains(&name.as_str()) && name != header::HOST {
            to.append(name.clone(), value.clone());
        }
    }
}

/// `host` and `port` of a `CONNECT host:port` or an absolute `http://` request.
fn target_of(request: &Request<Incoming>) -> Option<(String, u16)> {
    let uri = request.uri();
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    if request.method() == Method::CONNECT {
        return Some((host.to_string(), uri.port_u16()?));
    }
    (uri.scheme_str() == Some("http")).then(|| (host.to_string(), uri.port_u16().unwrap_or(80)))
}

/// A refusal: `status` with `why` as its text, noted in the record.
fn refuse(record: &mut EgressRecord, status: StatusCode, why: &str) -> Answer {
    record.status = status.as_u16();
    record.refusal = Some(why.to_string());
    let mut answer = Response::new(Full::new(Bytes::from(format!("{why}\n"))));
    *answer.status_mut() = status;
    answer
}

/// Finishes `record`, logs it and hands it on; returns `answer`.
fn send<A>(
    records: &mpsc::Sender<EgressRecord>,
    mut record: EgressRecord,
    started: Instant,
    answer: A,
) -> A {
    record.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(
        target: "egress",
        agent = record.agent.map(|a| a.0), peer = %record.peer, method = %record.method,
        destination = %record.target, status = record.status, refusal = record.refusal.as_deref(),
        bytes_up = record.bytes_up, bytes_down = record.bytes_down,
        duration_ms = record.duration_ms, "egress"
    );
    if records.try_send(record).is_err() {
        tracing::warn!("egress proxy: the record channel is full or closed; a record was dropped");
    }
    answer
}
