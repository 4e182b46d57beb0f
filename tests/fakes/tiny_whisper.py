"""A tiny, randomly initialised Whisper in the `save_pretrained` layout of `openai/whisper-large-v3`.

Files as the hub repository ships them (config.json, generation_config.json, model.safetensors,
preprocessor_config.json, tokenizer files): 128 mel bins as large-v3, a byte-level BPE of the 256
byte symbols (no merges) followed by Whisper's special tokens in the real order — <|endoftext|>,
<|startoftranscript|>, the 100 language tokens in `tokenization_whisper.LANGUAGES` order (large-v3
added <|yue|>), <|translate|>, <|transcribe|>, <|startoflm|>, <|startofprev|>, <|nospeech|>,
<|notimestamps|> — so `get_decoder_prompt_ids(language="english", task="transcribe")` resolves the
way it does on the real vocabulary. One encoder and one decoder layer; transcripts are gibberish
but deterministic and depend on the audio.
"""

from __future__ import annotations

import json
from pathlib import Path

SPECIALS_AFTER_LANGS = ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>", "<|notimestamps|>"]


def make_tiny_whisper(out_dir: Path, seed: int = 0, max_length: int = 24) -> Path:
    import torch
    from transformers import (
        GenerationConfig,
        WhisperConfig,
        WhisperFeatureExtractor,
        WhisperForConditionalGeneration,
        WhisperProcessor,
        WhisperTokenizer,
    )
    from transformers.models.gpt2.tokenization_gpt2 import bytes_to_unicode
    from transformers.models.whisper.tokenization_whisper import LANGUAGES

    out_dir.mkdir(parents=True, exist_ok=True)
    vocab = {ch: i for i, ch in enumerate(bytes_to_unicode().values())}
    (out_dir / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (out_dir / "merges.txt").write_text("#version: 0.2\n", encoding="utf-8")
    specials = ["<|endoftext|>", "<|startoftranscript|>", *[f"<|{code}|>" for code in LANGUAGES], *SPECIALS_AFTER_LANGS]
    tok = WhisperTokenizer(str(out_dir / "vocab.json"), str(out_dir / "merges.txt"), unk_token="<|endoftext|>")
    tok.add_special_tokens({"additional_special_tokens": specials[1:]})
    ids = {t: tok.convert_tokens_to_ids(t) for t in specials}
    assert ids["<|startoftranscript|>"] == 257 and ids["<|en|>"] == 258, ids  # the real relative order
    fe = WhisperFeatureExtractor(feature_size=128)
    WhisperProcessor(feature_extractor=fe, tokenizer=tok).save_pretrained(out_dir)

    torch.manual_seed(seed)
    config = WhisperConfig(
        vocab_size=len(tok),
        num_mel_bins=128,
        d_model=16,
        encoder_layers=1,
        decoder_layers=1,
        encoder_attention_heads=2,
        decoder_attention_heads=2,
        encoder_ffn_dim=32,
        decoder_ffn_dim=32,
        max_source_positions=1500,
        max_target_positions=64,
        pad_token_id=ids["<|endoftext|>"],
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=ids["<|endoftext|>"],
        decoder_start_token_id=ids["<|startoftranscript|>"],
    )
    model = WhisperForConditionalGeneration(config).eval()
    with torch.no_grad():  # output layer tied to the embeddings: damp all but printable ASCII (ids 0-93)
        model.model.decoder.embed_tokens.weight[94:].mul_(0.05)
    model.generation_config = GenerationConfig(
        decoder_start_token_id=ids["<|startoftranscript|>"],
        eos_token_id=ids["<|endoftext|>"],
        pad_token_id=ids["<|endoftext|>"],
        bos_token_id=ids["<|endoftext|>"],
        max_length=max_length,
        no_timestamps_token_id=ids["<|notimestamps|>"],
        is_multilingual=True,
        lang_to_id={f"<|{c}|>": ids[f"<|{c}|>"] for c in LANGUAGES},
        task_to_id={"transcribe": ids["<|transcribe|>"], "translate": ids["<|translate|>"]},
        forced_decoder_ids=[[1, None], [2, ids["<|transcribe|>"]]],
        begin_suppress_tokens=[220, ids["<|endoftext|>"]],
    )
    model.save_pretrained(out_dir, safe_serialization=True)
    return out_dir
