"""Speaker similarity as cosine ×100 between embeddings of the prompt and the audio: the scoring
loop shared by every embedder (resemblyzer in lite, ReDimNet in ztts1); each supplies `embed`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ztts_eval.metrics.base import OK, SampleMetric, ScoreInput, not_covered


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    """Explicit cosine: embedders differ on whether they L2-normalise their output."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    denom = np.linalg.norm(a) * np.linalg.norm(b)
    if denom == 0:
        raise ValueError("cosine of a zero vector is undefined")
    return float(np.dot(a, b) / denom)


class PairSimilarity(SampleMetric):
    def embed(self, path: Path, sha: str) -> np.ndarray:
        raise NotImplementedError

    def score_batch(self, inputs: list[ScoreInput]) -> list[dict[str, Any]]:
        column = self.info.primary.name
        rows = []
        for inp in inputs:
            if inp.prompt_path is None:  # e.g. clean-set ground truth: no same-speaker prompt
                rows.append(not_covered("no same-speaker prompt for this sample"))
                continue
            sim = cosine(self.embed(inp.prompt_path, inp.prompt_sha256), self.embed(inp.audio_path, inp.audio_sha256))
            rows.append({"status": OK, column: 100.0 * sim})
        return rows
