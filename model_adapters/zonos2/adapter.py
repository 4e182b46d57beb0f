"""`zonos2`: ZONOS2 8B on our own PyTorch engine, batched, with per-request seeded sampling.

Prompt (x-vector of the item's prompt audio, markers, quality rows, bytes) -> codes (generate.py)
-> 44.1 kHz audio (DAC). Requests are sorted by prompt length and run `max_batch` at a time so
padding stays small; a failed batch is retried item by item so one bad item never sinks the rest.

"Quality Mode" (our reading of the report's second row) is documented in options.py.
`synthesize_stream` streams audio chunks while the model generates (stream.py).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from model_adapters.base import (
    Adapter,
    AdapterError,
    AudioChunk,
    Capabilities,
    Diagnostics,
    SynthesisRequest,
    SynthesisResult,
    failure,
)
from model_adapters.zonos2.options import (
    CODEC_HUB_ID,
    CONDITIONING_PARAMS,
    EXPECTED_CONFIG,
    LANGUAGE_CODES,
    MODEL_HUB_ID,
    SAMPLE_RATE,
    SAMPLING_DEFAULTS,
    SPEAKER_HUB_ID,
    check_local_paths,
    component_fingerprint,
    language_tag,
    load_engine,
    published_name,
    shared_params,
    step_mode_param,
)
from model_adapters.zonos2.prompt import (
    SILENCE_FRAMES,
    build_prompt,
    official_silence_codes,
)

if TYPE_CHECKING:  # torch stays out of import time: `ztts-eval ls` and the server client never need it
    from model_adapters.zonos2.generate import GenerationRequest, GenerationResult

log = logging.getLogger(__name__)


class Zonos2Adapter(Adapter):
    name = "zonos2"
    version = "2"  # 2: the official silence ids, upstream-length runaway tails
    group = "open"
    published_name: str | None = "ZONOS2 8B"
    param_sources = CONDITIONING_PARAMS  # what **conditioning accepts
    streams = True  # synthesize_stream yields audio while the model is still generating

    def __init__(
        self,
        model: str = MODEL_HUB_ID,
        revision: str | None = None,
        speaker_encoder: str = SPEAKER_HUB_ID,
        codec: str = CODEC_HUB_ID,
        silence_codes: str = "official",
        device: str = "auto",
        dtype: str | None = None,
        max_batch: int = 16,
        step_mode: str = "eager",
        **conditioning: Any,
    ) -> None:
        if dtype not in (None, "auto", "bfloat16", "float16", "float32"):
            raise AdapterError(f"dtype {dtype!r} must be bfloat16, float16 or float32 (default: bf16 on CUDA, fp32 on CPU)")
        super().__init__(
            model=str(model),
            revision=revision,
            speaker_encoder=str(speaker_encoder),
            codec=str(codec),
            silence_codes=str(silence_codes or "official"),
            device=str(device),
            dtype=None if dtype == "auto" else dtype,
            max_batch=max(1, int(max_batch)),
            step_mode=step_mode_param(step_mode),
            **shared_params(**conditioning),
        )
        self.published_name = published_name(self.params)
        self._model = self._codec = self._speaker_encoder = self._textnorm = None  # type: Any
        self._normalize: Callable[[str, str], tuple[str, bool]] | None = None
        self._silence, self._device = official_silence_codes(), "cpu"
        self._embeddings: dict[str, np.ndarray] = {}  # prompt file SHA-256 -> x-vector

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(
            zero_shot_cloning=True, languages=LANGUAGE_CODES, deterministic=True, max_batch=self.params["max_batch"]
        )

    def resolved_device(self) -> tuple[str, str]:
        """(device, dtype) after "auto": bf16 on CUDA (the released dtype), fp32 on CPU (no fast bf16)."""
        device = self.params["device"]
        if device == "auto":
            try:
                import torch
            except ImportError:  # load() reports the missing torch; the fingerprint must not crash first
                torch = None
            device = "cuda" if torch is not None and torch.cuda.is_available() else "cpu"
        return device, self.params["dtype"] or ("bfloat16" if device.startswith("cuda") else "float32")

    def fingerprint(self) -> dict[str, Any]:
        """Params with device/dtype resolved, plus, once loaded, what each component actually ran
        (weights snapshot, codec silence source, normaliser availability all change the audio)."""
        fp = super().fingerprint()
        device, dtype = self.resolved_device()
        fp["params"] = {**self.params, "device": device.split(":")[0], "dtype": dtype}
        if self._model is not None:
            fp["components"] = {
                "model_commit": getattr(self._model, "weights_commit", None),
                "prompt_silence_sha256": hashlib.sha256(self._silence.astype("<i8").tobytes()).hexdigest(),
                **{k: component_fingerprint(getattr(self, f"_{k}")) for k in ("codec", "speaker_encoder", "textnorm")},
            }
        return fp

    def load(self) -> None:
        if self._model is not None:
            return
        try:
            import torch
        except ImportError:
            raise AdapterError("zonos2 needs torch: pip install -e '.[zonos2]'") from None
        device, dtype = self.resolved_device()
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise AdapterError(f"device={device} but no CUDA device is visible; pass device=cpu")
        if self.params["step_mode"] == "graph" and not device.startswith("cuda"):
            raise AdapterError(f"step_mode=graph captures CUDA graphs; device={device} needs step_mode=eager or compile")
        check_local_paths(self.params)
        from model_adapters.zonos2 import textnorm
        from model_adapters.zonos2.generate import model_config

        model, codec, speaker = load_engine(self.params, device, getattr(torch, dtype))
        p = self.params
        cfg = model_config(model)
        wrong = {k: getattr(cfg, k, None) for k, v in EXPECTED_CONFIG.items() if getattr(cfg, k, None) != v}
        if wrong:
            raise AdapterError(f"zonos2: model={p['model']} is not the released ZONOS2 layout ({wrong}); pass model=DIR")
        self.use_components(model, codec, speaker, textnorm.normalize_text, device=device)
        self._textnorm = textnorm

    def use_components(
        self,
        model: Any,
        codec: Any,
        speaker_encoder: Any,
        normalize: Callable[[str, str], tuple[str, bool]] | None = None,
        device: str = "cpu",
    ) -> None:
        """Install loaded (or, in tests, fake) components; load() ends here."""
        self._model, self._codec, self._speaker_encoder = model, codec, speaker_encoder
        self._normalize, self._device = normalize, device
        if self.params["silence_codes"] == "official":
            self._silence = official_silence_codes()
        else:  # "codec": DAC-encoded digital silence; a path: the codec's override file
            self._silence = np.asarray(codec.silence_codes(SILENCE_FRAMES), dtype=np.int64)

    def close(self) -> None:
        self._model = self._codec = self._speaker_encoder = None
        self._embeddings.clear()

    def synthesize(self, requests: list[SynthesisRequest]) -> list[SynthesisResult]:
        self.load()
        results: list[SynthesisResult | None] = [None] * len(requests)
        jobs: list[tuple[int, GenerationRequest, dict[str, Any], float]] = []
        for i, req in enumerate(requests):
            refused = self.check_request(req)
            if refused is not None:
                results[i] = refused
                continue
            t0 = time.perf_counter()
            try:
                gen, extra = self._prepare(req)
            except AdapterError:
                raise
            except Exception as exc:  # noqa: BLE001 - unreadable prompt, over-long prompt: this item only
                results[i] = failure(req, f"{type(exc).__name__}: {exc}", latency=time.perf_counter() - t0)
                continue
            jobs.append((i, gen, extra, time.perf_counter() - t0))
        jobs.sort(key=lambda job: job[1].rows.shape[0])  # similar lengths share a batch
        size = self.params["max_batch"]
        for start in range(0, len(jobs), size):
            self._run_batch(requests, jobs[start : start + size], results)
        return [r for r in results if r is not None]

    def _prepare(self, req: SynthesisRequest) -> tuple[GenerationRequest, dict[str, Any]]:
        tag, normalisable = language_tag(req.language)
        text, applied = req.text, False
        if self.params["text_normalization"] and normalisable and self._normalize is not None:
            text, applied = self._normalize(req.text, tag)
        speaker = self._speaker_embedding(req.prompt_audio) if req.prompt_audio is not None else None
        p = self.params
        rows, pos = build_prompt(
            text,
            silence_codes=self._silence,
            speaker=speaker is not None,
            clean_background=p["clean_background"],
            accurate_mode=p["mode"] == "accurate",
            speaking_rate_bucket=p["speaking_rate"],
            quality_buckets=p["quality_buckets"],
        )
        # torch-backed modules are imported on first use only
        from model_adapters.zonos2.generate import GenerationRequest, model_config
        from model_adapters.zonos2.sampler import SamplingParams

        limit = int(model_config(self._model).max_seqlen)
        if rows.shape[0] >= limit:
            raise ValueError(f"prompt has {rows.shape[0]} rows; ZONOS2's context is {limit} rows including the audio")
        gen = GenerationRequest(rows, pos, speaker, SamplingParams(**{k: p[k] for k in SAMPLING_DEFAULTS}, seed=int(req.seed)))
        return gen, {"text_normalized": applied, "prompt_rows": int(rows.shape[0])}

    def synthesize_stream(self, request: SynthesisRequest) -> Iterator[AudioChunk]:
        """Audio in chunks of CHUNK_FRAMES DAC frames as generation completes them (stream.py); the
        chunks concatenate to `synthesize`'s audio for the same request within STREAM_TOLERANCE."""
        self.load()
        t0 = time.perf_counter()
        refused = self.check_request(request)
        if refused is not None:
            raise RuntimeError(refused.diagnostics.error)
        from model_adapters.zonos2.generate import GenerationRun
        from model_adapters.zonos2.stream import stream_audio

        gen, _ = self._prepare(request)
        run = GenerationRun(self._model, [gen], device=self._device, step_mode=self.params["step_mode"])
        sent = 0
        for samples in stream_audio(iter(run), self._codec):
            sent += len(samples)
            yield AudioChunk(samples, SAMPLE_RATE, time.perf_counter() - t0)
        if not sent:
            raise RuntimeError("the model ended at the first frame (no audio)")

    def _speaker_embedding(self, path: Path) -> np.ndarray:
        """The prompt's raw x-vector, computed once per distinct file content."""
        from ztts_eval.audio import read_audio

        sha = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        if sha not in self._embeddings:
            audio = read_audio(path)
            self._embeddings[sha] = np.asarray(self._speaker_encoder.embed(audio.samples, audio.sample_rate), np.float32)
        return self._embeddings[sha]

    def _run_batch(self, requests: list[SynthesisRequest], jobs: list, results: list) -> None:
        from model_adapters.zonos2.generate import generate

        try:
            outs = generate(self._model, [job[1] for job in jobs], device=self._device, step_mode=self.params["step_mode"])
        except Exception as exc:  # noqa: BLE001 - OOM, bad item: retried one by one below
            import torch

            if torch.cuda.is_available():
                torch.cuda.empty_cache()
            if len(jobs) > 1:  # isolate the culprit (or an OOM at this batch size)
                log.warning("zonos2 batch of %d failed (%s: %s); retrying one by one", len(jobs), type(exc).__name__, exc)
                for job in jobs:
                    self._run_batch(requests, [job], results)
                return
            i, _, _, prep_s = jobs[0]
            results[i] = failure(requests[i], f"{type(exc).__name__}: {exc}", latency=prep_s)
            return
        for (i, _, extra, prep_s), out in zip(jobs, outs):
            results[i] = self._decode(requests[i], out, extra, prep_s, len(jobs))

    def _decode(self, req: SynthesisRequest, out: GenerationResult, extra: dict, prep_s: float, batch: int) -> SynthesisResult:
        latency = prep_s + out.prefill_s + out.decode_s
        diag_extra = {
            **extra,
            "frames": out.frames,
            "eos_frame": out.eos_frame,
            "prefill_s": round(out.prefill_s, 4),
            "decode_s": round(out.decode_s, 4),
            "batch": batch,
        }
        if out.codes.shape[1] == 0:  # EOS at once, or a runaway shorter than the 8-frame delay
            msg = "the model ended at the first frame (no audio)" if out.eos_reached else "no complete audio frame"
            return SynthesisResult(
                req.item_id, req.seed, None, None, Diagnostics(None, out.eos_reached, latency, msg, "failed", diag_extra)
            )
        t0 = time.perf_counter()
        try:
            wav = np.asarray(self._codec.decode(out.codes), dtype=np.float32).reshape(-1)
        except Exception as exc:  # noqa: BLE001 - a decode failure is this item's row
            return failure(req, f"DAC decode: {type(exc).__name__}: {exc}", latency=latency)
        latency += time.perf_counter() - t0
        diag = Diagnostics(len(wav) / SAMPLE_RATE, out.eos_reached, latency, extra=diag_extra)
        return SynthesisResult(req.item_id, req.seed, wav, SAMPLE_RATE, diag)
