//! Token usage as OpenAI-compatible upstreams report it: in a whole answer's `usage`, or in
//! the last `data:` event of a stream asked for with `stream_options.include_usage`, and the
//! tokens a call counts against its tier's hourly budget and its price: a prompt token the
//! upstream served from its prefix cache (`usage.prompt_tokens_details.cached_tokens`, which
//! llama.cpp and vLLM report) counts as a tenth, since it cost the model server almost
//! nothing. Pure parsing; nothing here charges or stores.

use serde_json::Value;

/// Cached prompt tokens that count as one token.
pub const CACHED_TOKENS_PER_COUNTED: i64 = 10;

/// Tokens of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tokens {
    pub prompt: i64,
    pub completion: i64,
    /// Prompt tokens served from the upstream's prefix cache (0 when it does not say).
    pub cached: i64,
    /// What the call counts: its total, each cached prompt token as a tenth (rounded up).
    pub total: i64,
}

/// The `usage` object of an answer or a stream event, if it has a usable one.
pub fn usage_of(body: &Value) -> Option<Tokens> {
    let usage = body.get("usage")?;
    let field = |name: &str| usage.get(name).and_then(Value::as_i64).filter(|n| *n >= 0);
    let prompt = field("prompt_tokens").unwrap_or(0);
    let completion = field("completion_tokens").unwrap_or(0);
    let reported = field("total_tokens").unwrap_or(prompt.saturating_add(completion));
    let cached = usage
        .pointer("/prompt_tokens_details/cached_tokens")
        .and_then(Value::as_i64)
        .unwrap_or(0)
        .clamp(0, prompt.min(reported));
    // `cached` is at least 0 here, so this rounds up.
    let total =
        reported - cached + (cached + CACHED_TOKENS_PER_COUNTED - 1) / CACHED_TOKENS_PER_COUNTED;
    debug_assert!((0..=reported).contains(&total));
    (usage.is_object()).then_some(Tokens {
        prompt,
        completion,
        cached,
        total,
    })
}

/// Reads a server-sent-event stream as it passes, remembering the last usage it reports, and
/// gives each `data:` event the village's model name (as whole answers get it), so the agent
/// never sees which upstream model served it. Bytes are held only to the end of the current
/// line (bounded by `line_bytes_max`: a longer line is passed on as it is, unread).
#[derive(Debug, Default)]
pub struct StreamMeter {
    line: Vec<u8>,
    line_bytes_max: usize,
    /// Set while passing on the rest of a line too long to read.
    passing_long_line: bool,
    /// The model name the events are given.
    model: String,
    /// The last usage seen.
    pub tokens: Option<Tokens>,
}

impl StreamMeter {
    pub fn new(line_bytes_max: usize, model: impl Into<String>) -> StreamMeter {
        StreamMeter {
            line: Vec::new(),
            line_bytes_max,
            passing_long_line: false,
            model: model.into(),
            tokens: None,
        }
    }

    /// Feeds the next chunk of the stream; returns what may be passed on now: every line
    /// completed by this chunk, rewritten.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len() + 32);
        for &byte in chunk {
            if self.passing_long_line {
                out.push(byte);
                self.passing_long_line = byte != b'\n';
            } else if byte == b'\n' {
                self.end_line(&mut out);
            } else if self.line.len() < self.line_bytes_max {
                self.line.push(byte);
            } else {
                out.append(&mut self.line);
                out.push(byte);
                self.passing_long_line = true;
            }
        }
        out
    }

    /// What is left of an unfinished last line, to pass on when the stream ends.
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.line)
    }

    fn end_line(&mut self, out: &mut Vec<u8>) {
        let line = std::mem::take(&mut self.line);
        if let Some(mut event) = line
            .strip_prefix(b"data:")
            .map(<[u8]>::trim_ascii)
            .filter(|data| *data != b"[DONE]")
            .and_then(|data| serde_json::from_slice::<Value>(data).ok())
        {
            if let Some(tokens) = usage_of(&event) {
                self.tokens = Some(tokens);
            }
            if let Some(fields) = event.as_object_mut()
                && fields.contains_key("model")
            {
                fields.insert("model".into(), Value::String(self.model.clone()));
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(event.to_string().as_bytes());
                out.push(b'\n');
                return;
            }
        }
        out.extend_from_slice(&line);
        out.push(b'\n');
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
                cached: 0,
                total: 7
            })
        );
        assert_eq!(usage_of(&serde_json::json!({"usage": null})), None);
        let mut meter = StreamMeter::new(1 << 16, "village-small");
        meter.feed(b"data: {\"choices\":[]}\n\ndata: {\"choices\":[],\"us");
        assert_eq!(meter.tokens, None);
        meter.feed(b"age\":{\"prompt_tokens\":10,\"completion_tokens\":5}}\n\ndata: [DONE]\n\n");
        assert_eq!(
            meter.tokens,
            Some(Tokens {
                prompt: 10,
                completion: 5,
                cached: 0,
                total: 15
            })
        );
    }

    #[test]
    fn cached_prompt_tokens_count_a_tenth_and_never_more_than_the_prompt() {
        // 1,000 prompt tokens of which 900 cached, 100 written: 100 + 90 + 100 counted; a
        // cached count larger than the prompt (a confused upstream) is cut to the prompt.
        let usage = |cached: i64| {
            serde_json::json!({"usage": {"prompt_tokens": 1000, "completion_tokens": 100,
                "total_tokens": 1100, "prompt_tokens_details": {"cached_tokens": cached}}})
        };
        let tokens = usage_of(&usage(900)).unwrap();
        assert_eq!((tokens.cached, tokens.total), (900, 290));
        assert_eq!(usage_of(&usage(5)).unwrap().total, 1096);
        assert_eq!(usage_of(&usage(99_999)).unwrap().total, 200);
        assert_eq!(usage_of(&usage(-3)).unwrap().total, 1100);
    }

    #[test]
    fn stream_events_get_the_village_model_name_and_keep_everything_else() {
        // Every event naming a model names the village's instead, whole lines are passed on
        // as they complete (a line split across chunks waits for its end), comments, blank
        // lines and [DONE] pass unchanged, and a line over the limit passes unread.
        let mut meter = StreamMeter::new(200, "village-small");
        let mut out = meter.feed(b": keep-alive\n\ndata: {\"model\":\"qwen2.5-coder-0.5b\",\"cho");
        assert_eq!(out, b": keep-alive\n\n");
        out.extend(meter.feed(b"ices\":[]}\n\ndata: [DONE]\n\n"));
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("qwen"), "{text}");
        assert!(
            text.contains("data: {\"choices\":[],\"model\":\"village-small\"}\n"),
            "{text}"
        );
        assert!(text.ends_with("\n\ndata: [DONE]\n\n"), "{text}");
        let long = format!("data: {{\"model\":\"{}\"}}\n", "x".repeat(300));
        let mut passed = meter.feed(long.as_bytes());
        passed.extend(meter.finish());
        assert_eq!(passed, long.as_bytes());
        assert!(meter.feed(b"tail").is_empty());
        assert_eq!(meter.finish(), b"tail");
    }
}
