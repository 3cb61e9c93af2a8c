"""AffectGPT's encoders, read as upstream reads them, on tiny randomly initialised HF models saved to a
temp folder (no hub): HuBERT with 8 x 2 s windows and the mean of the last 4 layers, CLIP's
projected image features."""

from __future__ import annotations

import numpy as np
import pytest
import torch

transformers = pytest.importorskip("transformers")


def test_window_starts_follow_the_constant_clips_sampler():
    from affect_llm.encoders.ssl_audio import upstream_windows, window_starts

    assert window_starts(16_000 * 9) == [round(i * 16_000) for i in range(8)]  # 9 s: starts 0..7 s
    assert window_starts(16_000) == [0] * 8  # shorter than 2 s: padded, one window repeated
    starts = window_starts(16_000 * 5)  # 5 s: 3 s of room over 7 gaps, floored to a sample
    assert starts[0] == 0 and starts[-1] == 48_000 and starts[1] == int(48_000 / 7)
    x = np.arange(16_000 * 5, dtype=np.float32)
    w = upstream_windows(x)
    assert w.shape == (8, 32_000) and w[1, 0] == starts[1] and w[7, -1] == x[-1]
    short = upstream_windows(np.ones(8_000, np.float32))
    assert short.shape == (8, 32_000) and short[0, :8_000].all() and not short[0, 8_000:].any()


def _tiny_hubert(folder, do_normalize=True):
    from transformers import HubertConfig, HubertModel, Wav2Vec2FeatureExtractor

    cfg = HubertConfig(hidden_size=16, num_hidden_layers=5, num_attention_heads=2, intermediate_size=32,
                       conv_dim=(8, 8), conv_stride=(5, 4), conv_kernel=(10, 8), num_conv_pos_embeddings=8,
                       num_conv_pos_embedding_groups=2)
    torch.manual_seed(0)
    HubertModel(cfg).save_pretrained(folder)
    Wav2Vec2FeatureExtractor(do_normalize=do_normalize).save_pretrained(folder)
    return folder


def test_hubert_folder_gives_eight_window_tokens_as_upstream(tmp_path):
    from transformers import HubertModel

    from affect_llm.encoders.ssl_audio import upstream_windows
    from affect_llm.features.extract import FeatureExtractor, StreamSpec, load_stream_encoder

    folder = _tiny_hubert(tmp_path / "hubert")
    enc = load_stream_encoder("audio", str(folder))  # the folder's model_type picks the encoder
    assert type(enc).__name__ == "SSLSpeechEncoder" and enc.dim == 16 and "8x2s-last4-norm" in enc.encoder_id
    rng = np.random.default_rng(0)
    audio = rng.standard_normal(16_000 * 3).astype(np.float32) * 0.1
    feats = enc.encode(torch.from_numpy(audio)[None])
    assert feats.shape == (1, 8, 16)
    # the reference: upstream's recipe written out by hand on the same model
    model = HubertModel.from_pretrained(folder).eval()
    x = upstream_windows(audio)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)  # one normalisation over all 8 windows
    with torch.no_grad():
        hs = model(torch.from_numpy(x), output_hidden_states=True).hidden_states
    ref = torch.stack([hs[-4], hs[-3], hs[-2], hs[-1]]).mean(0).mean(1)
    torch.testing.assert_close(feats[0], ref, rtol=1e-4, atol=1e-5)
    # through the feature extractor, as training uses it
    ex = FeatureExtractor([StreamSpec("audio", "audio", str(folder))], feature_dtype="float32")
    out = ex.from_arrays(np.zeros((0, 1, 1, 3), np.uint8), None, audio)
    assert out["audio"].shape == (8, 16)


def test_clip_projected_features_are_get_image_features(tmp_path):
    from affectgpt_support import tiny_clip

    from affect_llm.encoders.clip_features import CLIPImageFeatures

    model = tiny_clip(tmp_path / "clip", seed=0)
    enc = CLIPImageFeatures(tmp_path / "clip")
    frames = np.random.default_rng(1).integers(0, 255, (1, 3, 40, 48, 3), dtype=np.uint8)
    feats = enc.encode(frames)
    assert enc.dim == 12 and feats.shape == (1, 3, 12)
    pixels = enc.pixels.processor(images=list(frames[0]), return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        ref = model.get_image_features(pixel_values=pixels)
    ref = ref if isinstance(ref, torch.Tensor) else ref.pooler_output
    torch.testing.assert_close(feats[0], ref, rtol=1e-4, atol=1e-5)
