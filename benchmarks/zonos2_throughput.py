"""ZONOS2 engine throughput: decode frames/s at several batch sizes, time to first frame, peak memory.

    python benchmarks/zonos2_throughput.py [--batches 1,8,64] [--steps 128] [--cuda-graphs] [--compile]

Builds the FULL-size model (7.67 B parameters, params.json of the release) with random bf16
weights on CUDA. Random weights route tokens roughly uniformly over experts, which is the
pessimistic case for MoE bandwidth, so real weights should not be slower. Without CUDA it says so
and runs a REDUCED config on CPU, only to show the script works: those numbers are not
comparable with the targets. Decode feeds back each step's argmax frame (sampling is not timed).
Targets from the issue, one H100: >= 300 frames/s at batch 1, >= 5,000 frames/s aggregate at batch 64.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model_adapters.zonos2.config import Zonos2Config  # noqa: E402
from model_adapters.zonos2.layers import KVCache  # noqa: E402
from model_adapters.zonos2.model import Zonos2Model, init_random_weights  # noqa: E402

TARGETS = {1: 300.0, 64: 5000.0}  # aggregate frames/s on one H100
FRAME_RATE = 44100 / 512  # DAC frames per second of audio
TEXT_PAD = 519


def build_model(cuda: bool, moe_mode: str) -> tuple[Zonos2Model, torch.device]:
    if cuda:
        cfg, device, dtype = Zonos2Config(), torch.device("cuda"), torch.bfloat16
    else:
        cfg = Zonos2Config.tiny(
            dim=256,
            head_dim=64,
            n_kv_heads=2,
            n_layers=6,
            multiple_of=64,
            moe_n_experts=8,
            moe_router_dim=32,
            speaker_embedding_dim=64,
            speaker_lda_dim=32,
        )
        device, dtype = torch.device("cpu"), torch.float32
    with torch.device("meta"):
        model = Zonos2Model(cfg, moe_mode=moe_mode)
    model = model.to(dtype=dtype).to_empty(device=device)
    init_random_weights(model, std=0.02).eval().requires_grad_(False)
    return model, device


def prompt_tokens(batch: int, rows: int, device: torch.device) -> torch.Tensor:
    """A typical prompt: conditioning/text rows (audio pad + text ids), then 17 delayed-silence rows."""
    g = torch.Generator().manual_seed(0)
    tokens = torch.full((batch, rows, 10), 1025, dtype=torch.long)
    tokens[..., 9] = torch.randint(192, 448, (batch, rows), generator=g)
    tail = min(17, rows)
    tokens[:, -tail:, :9] = torch.randint(0, 1024, (batch, tail, 9), generator=g)
    tokens[:, -tail:, 9] = TEXT_PAD
    return tokens.to(device)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def make_step(model: Zonos2Model, cache: KVCache, tok: torch.Tensor, seq_lens: torch.Tensor) -> Callable[[], None]:
    """One decode step that updates its static inputs in place: feed frame, argmax, advance lengths."""
    pad = torch.full_like(tok[:, :, 9:], TEXT_PAD)

    def step() -> None:
        logits = model(tok, cache, seq_lens)
        tok.copy_(torch.cat([logits[:, :, :, :1024].argmax(-1), pad], dim=-1))
        seq_lens.add_(1)

    return step


def decode_bench(
    model: Zonos2Model, device: torch.device, batch: int, prompt_len: int, steps: int, graphs: bool, compiled: bool
) -> tuple[float, float]:
    """Returns (aggregate frames/s, peak GPU GiB or nan)."""
    warm = 3
    cache = model.new_cache(batch, prompt_len + steps + warm + 1, device=device)
    cache.kv_limit = cache.max_len  # fixed attention width: no host sync per step, capturable
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    prompt = prompt_tokens(batch, prompt_len, device)
    zeros = torch.zeros(batch, dtype=torch.long, device=device)
    logits = model(prompt, cache, zeros)
    tok = torch.cat([logits[:, -1:, :, :1024].argmax(-1), torch.full_like(prompt[:, -1:, 9:], TEXT_PAD)], dim=-1)
    seq_lens = torch.full((batch,), prompt_len, dtype=torch.long, device=device)
    step = make_step(torch.compile(model) if compiled else model, cache, tok, seq_lens)
    if graphs:
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(warm):
                step()
        torch.cuda.current_stream().wait_stream(stream)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        seq_lens.fill_(prompt_len)
        run = graph.replay
    else:
        for _ in range(warm):
            step()
        seq_lens.fill_(prompt_len)
        run = step
    sync(device)
    t0 = time.perf_counter()
    for _ in range(steps):
        run()
    sync(device)
    elapsed = time.perf_counter() - t0
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.type == "cuda" else float("nan")
    return batch * steps / elapsed, peak


def first_frame_ms(model: Zonos2Model, device: torch.device, prompt_len: int, repeats: int = 5) -> float:
    """Prefill of one prompt into a fresh cache plus the first frame's argmax on the host."""
    prompt = prompt_tokens(1, prompt_len, device)
    times = []
    for i in range(repeats + 1):
        cache = model.new_cache(1, prompt_len + 64, device=device)
        sync(device)
        t0 = time.perf_counter()
        logits = model(prompt, cache, torch.zeros(1, dtype=torch.long, device=device))
        logits[0, -1, :, :1024].argmax(-1).cpu()
        if i:  # the first run is warm-up
            times.append(time.perf_counter() - t0)
    return 1000 * statistics.median(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batches", default="1,8,64")
    ap.add_argument("--steps", type=int, help="decode steps per batch size (default 128 on CUDA, 8 on CPU)")
    ap.add_argument("--prompt-len", type=int, default=150)
    ap.add_argument("--moe-mode", default="fast", choices=["fast", "loop", "gather", "grouped", "dense"])
    ap.add_argument("--cuda-graphs", action="store_true", help="capture one decode step per batch size")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (combine with --cuda-graphs)")
    args = ap.parse_args()
    cuda = torch.cuda.is_available()
    if args.cuda_graphs and not cuda:
        ap.error("--cuda-graphs needs CUDA")
    steps = args.steps or (128 if cuda else 8)
    if cuda:
        print(f"device: {torch.cuda.get_device_name()} | FULL-size ZONOS2 (7.67B params), random bf16 weights")
    else:
        print(
            "device: CPU, no CUDA available -> REDUCED config (dim 256, 6 layers, 8 experts, fp32) on CPU.\n"
            "  These numbers only show the script runs; they are NOT comparable with the H100 targets."
        )
    t0 = time.perf_counter()
    model, device = build_model(cuda, args.moe_mode)
    n_params = sum(p.numel() for p in model.parameters())
    print(
        f"built {n_params / 1e9:.3f}B params in {time.perf_counter() - t0:.1f}s | moe={args.moe_mode} "
        f"cuda_graphs={args.cuda_graphs} compile={args.compile} steps={steps} prompt={args.prompt_len} rows"
    )
    ttff = first_frame_ms(model, device, args.prompt_len)
    print(f"time to first frame (prefill {args.prompt_len} rows, batch 1): {ttff:.1f} ms")
    print(f"{'batch':>5} {'frames/s':>10} {'per-stream':>10} {'x realtime':>10} {'peak GiB':>9} {'target':>14}")
    for batch in (int(b) for b in args.batches.split(",")):
        with torch.inference_mode():
            fps, peak = decode_bench(model, device, batch, args.prompt_len, steps, args.cuda_graphs, args.compile)
        target = f">= {TARGETS[batch]:,.0f}" if batch in TARGETS else "-"
        verdict = "" if batch not in TARGETS or not cuda else (" MET" if fps >= TARGETS[batch] else " MISSED")
        print(f"{batch:5d} {fps:10.1f} {fps / batch:10.1f} {fps / batch / FRAME_RATE:10.2f} {peak:9.2f} {target:>14}{verdict}")
    if cuda:
        print(
            f"peak GPU memory overall: {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB "
            "(per-batch peaks above are reset before each batch, weights included)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
