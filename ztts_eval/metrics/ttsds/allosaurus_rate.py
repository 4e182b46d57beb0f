"""Allosaurus phone rate: phones recognised per second by the universal phone recogniser.

`allosaurus.app.read_recognizer()` downloads its model on first use and, offline, fails inside its
own error handler with a confusing FileNotFoundError. We build the recogniser from a model folder
ourselves (`ttsds.allosaurus_model=DIR`, the extracted `latest.tar.gz`), or from the package's
`pretrained/` folder when it is there, and never download. Rate = number of timestamped phones ÷
duration of the padded 22.05 kHz clip, as TTSDS2 computes it; no phones → 0.
"""

from __future__ import annotations

import tempfile
from argparse import Namespace
from pathlib import Path
from typing import Any

import numpy as np

REQUIRED_FILES = ("pm_config.json", "am_config.json", "lm_config.json", "model.pt", "phone.txt", "inventory/index.json")
MODEL_URL = "https://github.com/xinjli/allosaurus/releases/download/v1.0/latest.tar.gz"  # extracts to latest/
DOWNLOAD_HINT = (
    f"download {MODEL_URL} where GitHub is "
    "reachable, extract it and pass --metric-param ttsds_prosody.allosaurus_model=/path/to/the/model/folder"
)


class AllosaurusSetupError(RuntimeError):
    pass


def locate_model(model_dir: str | None) -> Path:
    from ztts_eval.setup.models_dir import find_archive

    if model_dir:
        path = Path(model_dir).expanduser()
    elif find_archive("allosaurus") is not None:  # the offline models folder (ZTTS_EVAL_MODELS)
        path = find_archive("allosaurus") / "latest"
    else:
        try:
            import allosaurus
        except ImportError:
            raise AllosaurusSetupError("allosaurus is not installed: pip install -e '.[prosody]'") from None
        pretrained = Path(allosaurus.__file__).parent / "pretrained"
        candidates = sorted((p for p in pretrained.glob("*") if p.is_dir()), reverse=True)
        if not candidates:
            raise AllosaurusSetupError(f"Allosaurus model not found (the package's pretrained/ folder is empty); {DOWNLOAD_HINT}")
        path = candidates[0]
    missing = [f for f in REQUIRED_FILES if not (path / f).is_file()]
    if missing:
        raise AllosaurusSetupError(f"Allosaurus model folder {path} lacks {', '.join(missing)}; {DOWNLOAD_HINT}")
    return path.resolve()


class PhoneRate:
    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._recognizer: Any = None

    def load(self) -> None:
        if self._recognizer is not None:
            return
        from allosaurus.am.factory import read_am
        from allosaurus.app import Recognizer
        from allosaurus.lm.factory import read_lm
        from allosaurus.pm.factory import read_pm

        config = Namespace(model=self.model_dir.name, device_id=-1, lang="ipa", approximate=False, prior=None)
        pm, am, lm = read_pm(self.model_dir, config), read_am(self.model_dir, config), read_lm(self.model_dir, config)
        self._recognizer = Recognizer(pm, am, lm, config)

    def phones(self, samples: np.ndarray, sr: int) -> int:
        """Number of phones recognised (allosaurus reads 16-bit PCM WAV files only)."""
        import soundfile as sf

        self.load()
        with tempfile.TemporaryDirectory(prefix="ztts-allo-") as tmp:
            wav = Path(tmp) / "clip.wav"
            sf.write(wav, np.clip(samples, -1.0, 1.0), sr, subtype="PCM_16")
            out = self._recognizer.recognize(str(wav), "ipa", timestamp=True)
        return len([line for line in out.splitlines() if line.strip()])
