"""Build a tiny, randomly initialised Qwen3-ASR checkpoint for offline tests.

Why this exists: the real ``Qwen/Qwen3-ASR-0.6B`` weights live on the Hugging Face Hub, which the test
environment cannot reach (and which would be far too big for a unit test anyway). Instead of mocking the
ASR stack, tests call :func:`make_tiny_qwen3_asr` to write a checkpoint that uses the *real* architecture
(``qwen_asr.core.transformers_backend``) in the *real* on-disk format, so that the untouched production
path -- ``qwen_asr.Qwen3ASRModel.from_pretrained(dir)`` followed by ``transcribe(...)`` -- runs end to end on
CPU in well under a second. The transcripts are gibberish, but they are deterministic and depend on the audio.

Files written into ``out_dir`` (the ``save_pretrained`` layout the real checkpoint is loaded from):

* ``config.json``, ``generation_config.json`` and ``model.safetensors`` -- a one-layer audio encoder and a
  one-layer text decoder, float32, a few tens of kB;
* ``preprocessor_config.json`` -- the 128-mel ``WhisperFeatureExtractor`` at 16 kHz plus the processor class;
* ``tokenizer.json``, ``tokenizer_config.json``, ``vocab.json``, ``merges.txt``, ``special_tokens_map.json``,
  ``added_tokens.json`` -- a byte-level BPE with no merges (the 256 byte symbols) plus Qwen's chat/audio
  tokens, loaded back as ``Qwen2TokenizerFast``;
* ``chat_template.jinja`` -- a ChatML template that renders audio items as
  ``<|audio_start|><|audio_pad|><|audio_end|>``, the shape the real checkpoint's template produces.

Constraints of the real code that shape the tiny config (ignoring one is an error, or silently drops the
audio):

* ``n_window`` must be 50: the processor hard-codes 13 audio tokens per 100 mel frames, which is what the
  encoder's three stride-2 convolutions produce for 2 * n_window = 100 frame chunks;
* the encoder's ``output_dim`` must equal the text ``hidden_size`` (audio embeddings are scattered into the
  token embeddings), and ``num_mel_bins`` must be 128 to match the feature extractor;
* the text config needs a ``rope_scaling`` dict (``None`` raises) whose ``mrope_section`` fits the
  ``head_dim / 2`` rotary frequencies;
* ``audio_token_id`` must be the tiny vocabulary's ``<|audio_pad|>`` id, otherwise the audio features are
  never written into the sequence and every clip decodes identically;
* a chat template must be saved: ``Qwen3ASRModel`` builds its prompt with ``apply_chat_template``.

The tokenizer mirrors the real one's layout (NFC normaliser, regex ``Split`` then ``ByteLevel``
pre-tokenizer, ``<asr_text>`` added but not special) so the prompt/parse code sees the same token behaviour.

``Qwen3ASRForConditionalGeneration.generate`` hard-codes the real vocabulary's EOS ids (151643/151645), which
do not exist here, so generation always runs to ``max_new_tokens``; keep that small in tests.
"""

from __future__ import annotations

import json
import math
import pathlib
import string

import torch
from qwen_asr.core.transformers_backend import (
    Qwen3ASRConfig,
    Qwen3ASRForConditionalGeneration,
    Qwen3ASRProcessor,
)
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers
from transformers import Qwen2TokenizerFast, WhisperFeatureExtractor

# --- tokenizer ------------------------------------------------------------------------------------------

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
AUDIO_START = "<|audio_start|>"
AUDIO_END = "<|audio_end|>"
AUDIO_PAD = "<|audio_pad|>"
ASR_TEXT = "<asr_text>"

# Special tokens (dropped by ``decode(..., skip_special_tokens=True)``), in id order after the 256 bytes.
SPECIAL_TOKENS = [ENDOFTEXT, IM_START, IM_END, AUDIO_START, AUDIO_END, AUDIO_PAD]
# Added but *not* special: qwen_asr parses "language X<asr_text>text" out of the decoded string, so the
# tag has to survive ``skip_special_tokens=True``, exactly as in the real tokenizer.
PLAIN_ADDED_TOKENS = [ASR_TEXT]

# GPT-4 style split used by the Qwen2 tokenizer family: contractions, letter runs, single digits,
# punctuation runs, newlines and whitespace.
PRETOKENIZE_REGEX = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+"
    r"|\s+(?!\S)|\s+"
)

# ChatML, with each audio content item rendered as the single placeholder that Qwen3ASRProcessor expands
# to one <|audio_pad|> per encoder output frame. Written from scratch; renders the same prompt shape as the
# template shipped with Qwen/Qwen3-ASR-0.6B.
CHAT_TEMPLATE = r"""{%- for message in messages %}
    {{- '<|im_start|>' + message['role'] + '\n' }}
    {%- if message['content'] is string %}
        {{- message['content'] }}
    {%- else %}
        {%- for part in message['content'] %}
            {%- if part['type'] == 'audio' or 'audio' in part %}
                {{- '<|audio_start|><|audio_pad|><|audio_end|>' }}
            {%- elif part['type'] == 'text' %}
                {{- part['text'] }}
            {%- endif %}
        {%- endfor %}
    {%- endif %}
    {{- '<|im_end|>\n' }}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"""

# What the tiny model is allowed to emit: readable ASCII plus the <asr_text> tag (see _restrict_output).
OUTPUT_CHARS = string.ascii_letters + string.digits + " .,'?!-"

# --- model ----------------------------------------------------------------------------------------------

HIDDEN = 16  # text hidden size == audio encoder output_dim
SAMPLE_RATE = 16000
NUM_MEL_BINS = 128

# The languages the real checkpoint advertises in config.json (qwen_asr validates against its own list).
SUPPORT_LANGUAGES = [
    "Chinese",
    "English",
    "Cantonese",
    "Arabic",
    "German",
    "French",
    "Spanish",
    "Portuguese",
    "Indonesian",
    "Italian",
    "Korean",
    "Russian",
    "Thai",
    "Vietnamese",
    "Japanese",
    "Turkish",
    "Hindi",
    "Malay",
    "Dutch",
    "Swedish",
    "Danish",
    "Finnish",
    "Polish",
    "Czech",
    "Filipino",
    "Persian",
    "Greek",
    "Romanian",
    "Hungarian",
    "Macedonian",
]


def build_tokenizer() -> Qwen2TokenizerFast:
    """A byte-level BPE over the 256 byte symbols (no merges), plus Qwen's chat and audio tokens.

    Ids 0-255 are the byte symbols, so any string (any language) encodes; the special tokens follow in
    ``SPECIAL_TOKENS`` order and ``<asr_text>`` comes last.
    """
    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    vocab = {symbol: i for i, symbol in enumerate(alphabet)}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[], fuse_unk=False, byte_fallback=False))
    backend.normalizer = normalizers.NFC()
    backend.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    backend.decoder = decoders.ByteLevel()
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    backend.add_tokens([AddedToken(t, special=False, normalized=False) for t in PLAIN_ADDED_TOKENS])

    return Qwen2TokenizerFast(
        tokenizer_object=backend,
        unk_token=None,
        bos_token=None,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        model_max_length=65536,
        clean_up_tokenization_spaces=False,
        extra_special_tokens={
            "audio_token": AUDIO_PAD,
            "audio_bos_token": AUDIO_START,
            "audio_eos_token": AUDIO_END,
        },
    )


def build_config(tokenizer: Qwen2TokenizerFast) -> Qwen3ASRConfig:
    """One-layer encoder and decoder; token ids point into the tiny vocabulary."""
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS}
    audio_config = dict(
        num_mel_bins=NUM_MEL_BINS,
        encoder_layers=1,
        encoder_attention_heads=2,
        encoder_ffn_dim=32,
        d_model=16,
        downsample_hidden_size=4,
        n_window=50,  # fixed by the processor: 13 tokens per 100 mel frames
        n_window_infer=400,
        conv_chunksize=500,
        max_source_positions=16,  # >= 13 positions per encoder chunk
        output_dim=HIDDEN,
    )
    text_config = dict(
        vocab_size=len(tokenizer),
        hidden_size=HIDDEN,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        head_dim=8,
        max_position_embeddings=65536,
        rope_theta=1000000.0,
        # head_dim / 2 = 4 rotary frequencies, interleaved over (t, h, w)
        rope_scaling={"rope_type": "default", "mrope_section": [2, 1, 1]},
        tie_word_embeddings=False,
        bos_token_id=ids[ENDOFTEXT],
        eos_token_id=ids[IM_END],
        pad_token_id=None,
    )
    thinker_config = dict(
        audio_config=audio_config,
        text_config=text_config,
        audio_token_id=ids[AUDIO_PAD],
        audio_start_token_id=ids[AUDIO_START],
        # The real value is the id of the word "user"; unused by the transformers backend. This vocabulary
        # has no such token, so point it at <|im_start|>, which always precedes the role name.
        user_token_id=ids[IM_START],
        initializer_range=0.02,
        # Lets generate() pad finished rows without falling back to the (out-of-vocabulary) EOS id.
        pad_token_id=ids[ENDOFTEXT],
    )
    return Qwen3ASRConfig(
        thinker_config=thinker_config,
        support_languages=list(SUPPORT_LANGUAGES),
        architectures=["Qwen3ASRForConditionalGeneration"],
        torch_dtype="float32",
    )


@torch.no_grad()
def _redraw_weights(model: torch.nn.Module, generator: torch.Generator) -> None:
    """Re-draw every matrix from N(0, (2 / sqrt(fan_in))^2) and every bias from N(0, 0.1^2).

    The library's default init (std 0.02) makes the tiny decoder's logits nearly independent of its input,
    so every clip would decode to the same string. With large weights the audio actually moves the argmax.
    Norm weights keep their default of one.
    """
    for name, param in model.named_parameters():
        if param.ndim >= 2:
            fan_in = math.prod(param.shape[1:])
            param.copy_(torch.randn(param.shape, generator=generator) * (2.0 / math.sqrt(fan_in)))
        elif name.endswith("bias"):
            param.copy_(torch.randn(param.shape, generator=generator) * 0.1)


@torch.no_grad()
def _restrict_output(model: Qwen3ASRForConditionalGeneration, tokenizer: Qwen2TokenizerFast) -> None:
    """Zero the output-embedding rows of every token outside ``OUTPUT_CHARS`` and ``<asr_text>``.

    Their logits become exactly 0 while the allowed tokens' logits are large random numbers, so the argmax
    (almost) always lands on a readable character and transcripts look like text rather than broken UTF-8
    and swallowed special tokens. The allowed set still includes ``<asr_text>`` so that qwen_asr's
    output parser can meet its tag.
    """
    allowed = set(tokenizer(OUTPUT_CHARS, add_special_tokens=False)["input_ids"])
    allowed.add(tokenizer.convert_tokens_to_ids(ASR_TEXT))
    lm_head = model.thinker.lm_head.weight
    blocked = torch.tensor([i for i in range(lm_head.shape[0]) if i not in allowed])
    lm_head[blocked] = 0.0


def make_tiny_qwen3_asr(out_dir: pathlib.Path, seed: int = 0) -> pathlib.Path:
    """Write a tiny random Qwen3-ASR checkpoint (real architecture, real file format) into ``out_dir``.

    The result loads with ``qwen_asr.Qwen3ASRModel.from_pretrained(str(out_dir), device_map="cpu")`` and
    transcribes with greedy decoding (deterministic for a given ``seed``). Different audio gives different
    gibberish; because the real EOS ids are outside the tiny vocabulary, every decode runs to
    ``max_new_tokens``. Building takes a fraction of a second and the directory is well under 1 MB.

    Args:
        out_dir: Directory to write into (created if missing; existing files of the same names are replaced).
        seed: Seeds the weights; the same seed always gives byte-identical weights.

    Returns:
        ``out_dir``.
    """
    out_dir = pathlib.Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    tokenizer = build_tokenizer()
    feature_extractor = WhisperFeatureExtractor(
        feature_size=NUM_MEL_BINS,
        sampling_rate=SAMPLE_RATE,
        hop_length=160,
        chunk_length=30,
        n_fft=400,
        padding_value=0.0,
        return_attention_mask=True,
    )
    processor = Qwen3ASRProcessor(feature_extractor=feature_extractor, tokenizer=tokenizer, chat_template=CHAT_TEMPLATE)

    config = build_config(tokenizer)
    # The constructor's own init draws from the global RNG; fork it so callers' RNG state is untouched
    # and the result does not depend on it.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen3ASRForConditionalGeneration(config)
    _redraw_weights(model, torch.Generator().manual_seed(seed))
    _restrict_output(model, tokenizer)
    model.eval()

    # Greedy decoding. This is the saved generation_config.json; Qwen3ASRForConditionalGeneration.generate
    # actually runs the thinker's generation config, rebuilt from config.json at load time, which is greedy
    # by default and takes its pad id from thinker_config.pad_token_id.
    model.generation_config.do_sample = False
    model.generation_config.num_beams = 1
    model.generation_config.eos_token_id = [config.thinker_config.text_config.eos_token_id]
    model.generation_config.pad_token_id = tokenizer.pad_token_id

    model.save_pretrained(out_dir, safe_serialization=True)
    processor.save_pretrained(out_dir)
    _check_written(out_dir)
    return out_dir


def _check_written(out_dir: pathlib.Path) -> None:
    """Fail loudly if a transformers upgrade changes what ``save_pretrained`` writes."""
    for name in (
        "config.json",
        "model.safetensors",
        "preprocessor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "chat_template.jinja",
    ):
        if not (out_dir / name).is_file():
            raise RuntimeError(f"tiny Qwen3-ASR checkpoint is missing {name} in {out_dir}")
    config = json.loads((out_dir / "config.json").read_text())
    if config.get("model_type") != "qwen3_asr":
        raise RuntimeError(f"unexpected model_type {config.get('model_type')!r} in {out_dir / 'config.json'}")
