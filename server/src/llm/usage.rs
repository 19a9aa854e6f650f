//! Token usage as OpenAI-compatible upstreams report it: in a whole answer's `usage`, or in
//! the last `data:` event of a stream asked for with `stream_options.include_usage`. Pure
//! parsing; nothing here charges or stores.

use serde_json::Value;

/// Tokens of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub prompt: i64,
    pub completion: i64,
    pub total: i64,
}

/// The `usage` object of an answer or a stream event, if it has a usable one.
pub fn usage_of(body: &Value) -> Option<Tokens> {
    let usage = body.get("usage")?;
    let field = |name: &str| usage.get(name).and_then(Value::as_i64).filter(|n| *n >= 0);
    let prompt = field("prompt_tokens").unwrap_or(0);
    let completion = field("completion_tokens").unwrap_or(0);
    let total = field("total_tokens").unwrap_or(prompt.saturating_add(completion));
    (usage.is_object()).then_some(Tokens {
        prompt,
        completion,
        total,
    })
}

/// Reads a server-sent-event stream as it passes, remembering the last usage it reports.
/// Bytes are buffered only up to the end of the current line (bounded by `line_bytes_max`).
#[derive(Debug, Default)]
pub struct StreamMeter {
    line: Vec<u8>,
    line_bytes_max: usize,
    /// The last usage seen.
    pub tokens: Option<Tokens>,
}

impl StreamMeter {
    pub fn new(line_bytes_max: usize) -> StreamMeter {
        StreamMeter {
            line: Vec::new(),
            line_bytes_max,
            tokens: None,
        }
    }

    /// Feeds the next chunk of the stream.
    pub fn feed(&mut self, chunk: &[u8]) {
        for &byte in chunk {
            if byte == b'\n' {
                self.end_line();
            } else if self.line.len() < self.line_bytes_max {
                self.line.push(byte);
            }
        }
    }

    fn end_line(&mut self) {
        let line = std::mem::take(&mut self.line);
        let Some(data) = line.strip_prefix(b"data:") else {
            return;
        };
        let data = data.trim_ascii();
        if data == b"[DONE]" {
            return;
        }
        if let Ok(event) = serde_json::from_slice::<Value>(data)
            && let Some(tokens) = usage_of(&event)
        {
            self.tokens = Some(tokens);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_read_from_answers_and_from_split_stream_events() {
        // A whole answer's usage is read; in a stream, an event split across chunks is joined
        // and the final usage event counts, while [DONE] and events without usage do not.
        let answer = serde_json::json!({"usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}});
        assert_eq!(
            usage_of(&answer),
            Some(Tokens {
                prompt: 3,
                completion: 4,
                total: 7
            })
        );
        assert_eq!(usage_of(&serde_json::json!({"usage": null})), None);
        let mut meter = StreamMeter::new(1 << 16);
        meter.feed(b"data: {\"choices\":[]}\n\ndata: {\"choices\":[],\"us");
        assert_eq!(meter.tokens, None);
        meter.feed(b"age\":{\"prompt_tokens\":10,\"completion_tokens\":5}}\n\ndata: [DONE]\n\n");
        assert_eq!(
            meter.tokens,
            Some(Tokens {
                prompt: 10,
                completion: 5,
                total: 15
            })
        );
    }
}
