"""The village's local model server: llama.cpp's own OpenAI-compatible HTTP server, from the
pinned `xllamacpp` wheel, serving one GGUF file on loopback. Started by scripts/local-llm.sh
(`start_local_llm`); it only serves. It does not download or check the model (the script does)
and it never listens beyond the address it is given.

Why a slot per agent: llama.cpp keeps one prompt cache per slot, so agents that share a slot
evict each other's cached prefix and every call pays for its whole prompt again.
"""

import argparse
import signal
import sys
import threading

import xllamacpp


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="the GGUF file to serve")
    parser.add_argument("--alias", required=True, help="the model's name in /v1/models")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads for decoding")
    parser.add_argument("--slots", type=int, default=2, help="requests served at once")
    parser.add_argument("--ctx-per-slot", type=int, default=8192, help="tokens per slot")
    args = parser.parse_args(argv)
    if not 1 <= args.slots <= 64 or not 1 <= args.threads <= 256:
        parser.error("--slots must be 1..=64 and --threads 1..=256")
    if not 512 <= args.ctx_per_slot <= 32768:
        parser.error("--ctx-per-slot must be 512..=32768 (the model was trained on 32768)")
    return args


def main(argv):
    args = parse_args(argv)
    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = [args.host]
    params.port = args.port
    params.n_parallel = args.slots
    params.n_ctx = args.slots * args.ctx_per_slot
    params.cpuparams.n_threads = args.threads
    params.cpuparams_batch.n_threads = args.threads
    # /metrics: prompt tokens read and served from the cache, for the prefix-cache hit rate.
    params.endpoint_metrics = True
    server = xllamacpp.Server(params)
    print(f"serving {args.alias} on {server.listening_address}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
