"""ZONOS2 engine throughput: `generate()` frames/s per MoE path at batch 1, 8 and 64, ops per decode step.

    python benchmarks/zonos2_throughput.py                      # CUDA: full size, bf16, CUDA graphs
    python benchmarks/zonos2_throughput.py --configs reduced,medium --frames 24   # CPU acceptance

What is timed is `generate()` itself: prefill, per-request seeded sampling, the EOS rule, the
host checks, streaming progress. Random weights never produce a meaningful EOS, so the model
wrapper masks the end-of-audio id and every sequence runs exactly --frames frames (the EOS
bookkeeping still runs every step). On the CPU (one thread) the decode time is the thread's CPU time after the first host check, so
other processes on a shared machine do not inflate it. Per batch size it prints frames/s of every MoE path and of
the default ("fast"), the default's ratio to the best path, time until the first streamed chunk's
frames exist (8 delay + 16 chunk + 10 context frames; the DAC decode of that chunk is not
included), and, on CUDA, the fraction of the bandwidth roofline: 0.87 B active bf16 parameters
plus the step's KV reads per decode step, at the copy bandwidth measured on the device.
Ops per decode step are counted with a TorchDispatchMode over a whole generate() step (model,
sampling, bookkeeping, amortised checks), all ops and kernel ops (views excluded), at the full
28-layer structure with tiny widths so the count is that of the real model. A second count is
what the host still dispatches per step with step_mode=compile on the CPU: a TorchDispatchMode
sees nothing inside compiled code, so it counts torch.profiler's top-level aten events (the
compiled graph's extern kernels, e.g. GEMMs and attention, and everything outside it; the
graph's own fused C++ kernels are not aten ops). In eager mode both counters give the same number.
Targets (one H100-class GPU, full size): >= 300 frames/s at batch 1, >= 5,000 aggregate at batch 64.
Results go to benchmarks/results/zonos2_throughput_<device>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch
from torch.utils._python_dispatch import TorchDispatchMode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from model_adapters.zonos2.config import Zonos2Config  # noqa: E402
from model_adapters.zonos2.generate import GenerationRequest, GenerationRun  # noqa: E402
from model_adapters.zonos2.model import Zonos2Model, init_random_weights  # noqa: E402
from model_adapters.zonos2.prompt import build_prompt, official_silence_codes  # noqa: E402
from model_adapters.zonos2.sampler import SamplingParams  # noqa: E402
from model_adapters.zonos2.stream import CHUNK_FRAMES, DECODE_CONTEXT_FRAMES  # noqa: E402

TARGETS = {1: 300.0, 64: 5000.0}
ACTIVE_PARAMS = 0.87e9  # docs/zonos2.md §1
FIRST_CHUNK = 8 + CHUNK_FRAMES + DECODE_CONTEXT_FRAMES  # generated frames before the first streamed chunk
PATHS = ("fast", "grouped", "gather", "dense", "loop")
TEXT = "The quick brown fox jumps over the lazy dog, while the benchmark counts every frame it makes."
CONFIGS = {
    "reduced": dict(dim=256, head_dim=64, n_kv_heads=2, n_layers=6, multiple_of=64, moe_n_experts=8, moe_router_dim=32),
    "medium": dict(dim=1024, head_dim=64, n_kv_heads=4, n_layers=8, multiple_of=128, moe_n_experts=8, moe_router_dim=64),
    "structure": dict(dim=128, head_dim=32, n_kv_heads=2, n_layers=28, multiple_of=32, moe_n_experts=16, moe_router_dim=16),
}


def make_config(name: str) -> Zonos2Config:
    if name == "full":
        return Zonos2Config()
    extra = dict(
        speaker_embedding_dim=64, speaker_lda_dim=32, max_seqlen=6144, moe_start_from_layer=3 if name == "structure" else 2
    )
    topk = {26: 2} if name == "structure" else {CONFIGS[name]["n_layers"] - 2: 2}
    return Zonos2Config.tiny(**CONFIGS[name], **extra, special_topk_layers=topk)


class NoEos(torch.nn.Module):
    """The model with end-of-audio masked, so random weights run the whole frame budget."""

    def __init__(self, model: Zonos2Model) -> None:
        super().__init__()
        self.inner, self.cfg, self.decode_path = model, model.cfg, "fast"

    def prepare(self) -> NoEos:
        self.inner.prepare()
        return self

    def new_cache(self, *args, **kwargs):
        return self.inner.new_cache(*args, **kwargs)

    def forward(self, tokens: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        # The MoE path under test runs the decode steps; prefill keeps the default (a forced
        # `gather` over a batch of prompts would copy hundreds of experts' weights).
        self.inner.set_moe_mode(self.decode_path if tokens.shape[1] == 1 else "fast")
        logits = self.inner(tokens, *args, **kwargs)
        logits[..., 1024] = float("-inf")
        return logits


def build(name: str, device: torch.device, dtype: torch.dtype) -> NoEos:
    with torch.device("meta"):
        model = Zonos2Model(make_config(name))
    model = model.to(dtype=dtype).to_empty(device=device)
    return NoEos(init_random_weights(model, std=0.02).eval().requires_grad_(False).prepare())


def requests(batch: int, frames: int) -> list[GenerationRequest]:
    rows, _ = build_prompt(TEXT, silence_codes=official_silence_codes(), speaker=False)
    return [GenerationRequest(rows, params=SamplingParams(seed=b, max_frames=frames)) for b in range(batch)]


def run_once(model: NoEos, device: torch.device, batch: int, frames: int, step_mode: str) -> dict[str, float]:
    """One timed generate(). On the GPU: wall time from the end of prefill to the last finish. On
    the CPU (one thread): the thread's CPU time from the first host check (step 8) to the end, so
    other processes on a shared machine inflate neither it nor the prefill it leaves out."""
    run = GenerationRun(model, requests(batch, frames), device=device, step_mode=step_mode)
    t0, ttfa, first = time.perf_counter(), float("nan"), None
    for progress in run:
        if first is None:
            first = (time.thread_time(), len(progress.frames[0]))
        if ttfa != ttfa and len(progress.frames[0]) >= min(FIRST_CHUNK, frames):
            ttfa = progress.t - t0
    res = run.results
    fps = batch * frames / max(r.decode_s for r in res)
    if device.type == "cpu":
        fps = batch * (frames - first[1]) / max(time.thread_time() - first[0], 1e-9)
    return {"frames_per_s": fps, "prefill_s": res[0].prefill_s, "first_chunk_frames_s": ttfa}


def time_paths(
    model: NoEos, device: torch.device, batch: int, frames: int, step_mode: str, paths: list[str], repeats: int
) -> dict:
    """Best of `repeats` runs per MoE path, after a warm-up run (allocation, compile, CUDA-graph
    capture: the engine keeps one captured shape, so a path's runs follow each other). In eager
    mode the paths are interleaved instead, so load from other processes falls on all alike."""
    best: dict[str, dict] = {}

    def one(path: str, keep: bool = True) -> None:
        if model.decode_path != path:
            model.decode_path, model._zonos2_step_cache = path, None  # captured graphs hold the old path
        r = run_once(model, device, batch, frames, step_mode)
        if keep and (path not in best or r["frames_per_s"] > best[path]["frames_per_s"]):
            best[path] = r

    if step_mode == "eager":
        for path in paths:
            one(path, keep=False)
        for _ in range(repeats):
            for path in paths:
                one(path)
    else:
        for path in paths:
            for i in range(repeats + 1):
                one(path, keep=i > 0)
    return best


class OpCount(TorchDispatchMode):
    def __init__(self) -> None:
        super().__init__()
        self.all = self.kernels = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):  # noqa: ANN001, ANN204
        self.all += 1
        self.kernels += not func.is_view
        return func(*args, **(kwargs or {}))


def ops_per_step(device: torch.device) -> dict[str, float]:
    """Ops of one generate() step at the full 28-layer structure (tiny widths), batch 1, eager, with
    the MoE path a GPU step runs (grouped GEMM): the difference of a 48- and a 16-frame run over 32."""
    model = build("structure", device, torch.float32)
    model.decode_path = "grouped"  # the accelerator default; on the CPU the default loop adds one op per expert
    list(GenerationRun(model, requests(1, 16), device=device))  # weight-derived tensors are built once per model
    counts = {}
    for frames in (16, 48):
        with torch.inference_mode(), OpCount() as count:
            list(GenerationRun(model, requests(1, frames), device=device))
        counts[frames] = count
    return {k: (getattr(counts[48], k) - getattr(counts[16], k)) / 32 for k in ("all", "kernels")}


def compiled_ops_per_step(device: torch.device) -> float:
    """Aten ops the host dispatches per generate() step with step_mode=compile, counted as torch.profiler's
    top-level aten events (no aten op as parent), same structure and difference as `ops_per_step`. The MoE
    path is the default, what compile picks on the CPU (gather at batch 1: the CPU grouped GEMM compiles
    only in bf16). One warm-up run compiles the step; the counted runs reuse it (same cache, same bucket)."""
    model = build("structure", device, torch.float32)
    list(GenerationRun(model, requests(1, 48), device=device, step_mode="compile"))
    counts = {}
    for frames in (16, 48):
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            list(GenerationRun(model, requests(1, frames), device=device, step_mode="compile"))
        aten = [e for e in prof.events() if e.name.startswith("aten::")]
        counts[frames] = sum(e.cpu_parent is None or not e.cpu_parent.name.startswith("aten::") for e in aten)
    torch._dynamo.reset()  # later compiled runs start from a clean cache
    return (counts[48] - counts[16]) / 32


def bandwidth(device: torch.device) -> float:
    """Device copy bandwidth in bytes/s (read + write of a 2 GiB buffer)."""
    x = torch.empty(2**30, dtype=torch.bfloat16, device=device)
    y = torch.empty_like(x)
    y.copy_(x)
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(10):
        y.copy_(x)
    torch.cuda.synchronize()
    return 10 * 2 * x.numel() * 2 / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cuda = torch.cuda.is_available()
    ap.add_argument("--configs", default="full" if cuda else "reduced,medium")
    ap.add_argument("--batches", default="1,8,64")
    ap.add_argument("--frames", type=int, default=256 if cuda else 24)
    ap.add_argument("--paths", default=None, help=f"MoE paths (default {','.join(PATHS)}; no loop under CUDA graphs)")
    ap.add_argument("--budget-s", type=float, default=420.0, help="skip what would start after this many seconds")
    ap.add_argument("--step-mode", default="graph" if cuda else "eager", choices=["eager", "compile", "graph"])
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--threads", type=int, default=1, help="CPU threads (1: steady numbers on a shared machine)")
    ap.add_argument("--skip-compile-ops", action="store_true", help="skip the step_mode=compile op count (compiles the step)")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    paths = (args.paths or ",".join(p for p in PATHS if not (p == "loop" and args.step_mode == "graph"))).split(",")
    started = time.perf_counter()
    device = torch.device("cuda" if cuda else "cpu")
    name = torch.cuda.get_device_name() if cuda else platform.processor() or "cpu"
    report: dict = {"device": name, "torch": torch.__version__, "step_mode": args.step_mode, "frames": args.frames, "runs": []}
    ops = ops_per_step(torch.device("cpu"))  # eager dispatch is the same on every device
    report["ops_per_decode_step"] = ops
    print(f"device: {name} | torch {torch.__version__} | step_mode={args.step_mode} | {args.frames} frames per sequence")
    print(
        f"ops per generate() step, 28-layer structure, batch 1, eager, grouped MoE: {ops['all']:.0f} all, "
        f"{ops['kernels']:.0f} kernels (TorchDispatchMode)"
    )
    if not args.skip_compile_ops:
        t0 = time.perf_counter()
        try:
            compiled = compiled_ops_per_step(torch.device("cpu"))
        except Exception as exc:  # noqa: BLE001 - e.g. no C++ compiler for inductor: report, keep benchmarking
            compiled, note = None, f"skipped: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
        else:
            note = f"{compiled:.0f} aten ops dispatched (torch.profiler, top-level aten events)"
        report["ops_per_decode_step_compiled"] = compiled
        print(f"ops per generate() step, same, step_mode=compile on the CPU, default MoE path: {note}", end="")
        print(f" [{time.perf_counter() - t0:.0f} s incl. compiling]")
    bw = bandwidth(device) if cuda else None
    for cfg_name in args.configs.split(","):
        dtype = torch.bfloat16 if cuda else torch.float32
        t0 = time.perf_counter()
        model = build(cfg_name, device, dtype)
        n_params = sum(p.numel() for p in model.parameters())
        print(f"\nconfig {cfg_name}: {n_params / 1e9:.3f} B params, {dtype}, built in {time.perf_counter() - t0:.1f} s")
        print(f"{'batch':>5} " + " ".join(f"{p:>9}" for p in paths) + "  default/best  first-chunk  roofline")
        for batch in (int(b) for b in args.batches.split(",")):
            if time.perf_counter() - started > args.budget_s:
                print(f"{batch:5d} skipped: past the {args.budget_s:.0f} s budget")
                report["runs"].append({"config": cfg_name, "batch": batch, "skipped": "time budget"})
                continue
            res = time_paths(model, device, batch, args.frames, args.step_mode, paths, args.repeats)
            fps = {p: r["frames_per_s"] for p, r in res.items()}
            best = max(v for p, v in fps.items() if p != "fast")
            line = f"{batch:5d} " + " ".join(f"{fps[p]:9.1f}" for p in fps) + f"  {fps.get('fast', float('nan')) / best:12.2f}"
            line += f"  {res.get('fast', next(iter(res.values())))['first_chunk_frames_s'] * 1000:9.0f}ms"
            roof = None
            if bw is not None and cfg_name == "full":
                ctx = 150 + args.frames / 2  # mean cache positions read per step
                step_bytes = ACTIVE_PARAMS * 2 + model.cfg.kv_bytes_per_frame * ctx * batch
                roof = fps.get("fast", best) / (batch * bw / step_bytes)
                target = TARGETS.get(batch)
                line += f"  {roof:8.1%}" + (
                    f"  target {target:,.0f}: {'MET' if fps['fast'] >= target else 'MISSED'}" if target else ""
                )
            print(line)
            report["runs"].append({"config": cfg_name, "batch": batch, "paths": res, "roofline_fraction": roof})
        del model
    out = Path(args.out or Path(__file__).parent / "results" / f"zonos2_throughput_{device.type}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
