"""Frame encoders on real weights: the bundled MobileNetV2 and a (tiny, random) HF vision tower."""

import numpy as np
import pytest
import torch

from affect_llm.encoders.base import Encoder
from affect_llm.encoders.frames import HFVisionEncoder, MobileNetV2Encoder, load_frame_encoder

skimage_data = pytest.importorskip("skimage.data")


@pytest.fixture(scope="module")
def mobilenet() -> MobileNetV2Encoder:
    return load_frame_encoder("mobilenet_v2")


def _square(img: np.ndarray, size: int = 256) -> np.ndarray:
    t = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    return torch.nn.functional.interpolate(t, size=(size, size)).round().byte()[0].permute(1, 2, 0).numpy()


def test_mobilenet_weights_are_the_real_imagenet_ones(mobilenet):
    frames = np.stack([_square(skimage_data.chelsea()), _square(skimage_data.coffee())])
    top = mobilenet.classify(frames).argmax(-1)[0].tolist()
    assert 281 <= top[0] <= 285, f"chelsea should be a cat class (281-285), got {top[0]}"
    assert top[1] == 967, f"coffee should be espresso (967), got {top[1]}"


def test_mobilenet_encoder_shapes_and_protocol(mobilenet):
    frames = np.random.default_rng(0).integers(0, 255, size=(2, 3, 120, 160, 3), dtype=np.uint8)
    tokens = mobilenet.encode(frames)
    assert isinstance(mobilenet, Encoder)
    assert tokens.shape == (2, 3, mobilenet.dim) == (2, 3, 1280)
    assert tokens.dtype == torch.float32 and torch.isfinite(tokens).all()
    # Same input, same id, same features: what the feature cache relies on.
    assert torch.allclose(mobilenet.encode(frames), tokens)
    assert mobilenet.encoder_id == MobileNetV2Encoder().encoder_id


def test_mobilenet_rejects_bad_shape(mobilenet):
    with pytest.raises(ValueError, match="RGB"):
        mobilenet.encode(np.zeros((2, 8, 8), dtype=np.uint8))


@pytest.mark.parametrize("kind", ["clip", "siglip"])
def test_hf_vision_tower_from_local_folder(tmp_path, kind):
    transformers = pytest.importorskip("transformers")
    if kind == "clip":
        cfg = transformers.CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                            num_attention_heads=2, image_size=32, patch_size=8)
        model = transformers.CLIPVisionModel(cfg)
        proc = transformers.CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    else:
        cfg = transformers.SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                              num_attention_heads=2, image_size=32, patch_size=8)
        model = transformers.SiglipVisionModel(cfg)
        proc = transformers.SiglipImageProcessor(size={"height": 32, "width": 32})
    model.save_pretrained(tmp_path)
    proc.save_pretrained(tmp_path)
    enc = HFVisionEncoder(tmp_path)
    frames = np.random.default_rng(1).integers(0, 255, size=(2, 4, 48, 64, 3), dtype=np.uint8)
    tokens = enc.encode(frames)
    assert tokens.shape == (2, 4, 32) and enc.dim == 32
    assert kind in enc.encoder_id


def test_hf_vision_tower_missing_folder_names_it(tmp_path):
    from affect_llm.errors import ModelError

    with pytest.raises(ModelError, match=str(tmp_path)):
        HFVisionEncoder(tmp_path)


def test_clip_folder_gives_both_encoders_the_same_pixels(tmp_path):
    """One CLIP folder, two encoders (the tower's pooled output, and AffectGPT's projected one):
    ``PixelInputs`` is their one preprocessing, so the projected features are exactly the
    projection of the frame encoder's, and the pixels are the folder processor's own."""
    pytest.importorskip("transformers")
    from affectgpt_support import tiny_clip

    from affect_llm.encoders.clip_features import CLIPImageFeatures
    from affect_llm.encoders.frames import PixelInputs

    tiny_clip(tmp_path, seed=0)
    pooled_enc, projected_enc = HFVisionEncoder(tmp_path), CLIPImageFeatures(tmp_path)
    frames = np.random.default_rng(2).integers(0, 255, size=(2, 3, 40, 56, 3), dtype=np.uint8)
    pixels, b, n = PixelInputs(tmp_path)(frames, torch.float32)
    assert (b, n) == (2, 3) and pixels.shape == (6, 3, 32, 32)
    reference = pooled_enc.pixels.processor(images=list(frames.reshape(6, 40, 56, 3)), return_tensors="pt")
    torch.testing.assert_close(pixels, reference["pixel_values"])
    with torch.no_grad():
        expected = projected_enc.projection(pooled_enc.encode(frames).flatten(0, 1)).view(2, 3, -1)
    torch.testing.assert_close(projected_enc.encode(frames), expected)
    assert projected_enc.encoder_id.rsplit("-", 1)[1] == pooled_enc.encoder_id.rsplit("-", 1)[1]  # same weights digest


def test_clip_folder_without_image_processor_names_the_file(tmp_path):
    pytest.importorskip("transformers")
    from affectgpt_support import tiny_clip

    from affect_llm.encoders.clip_features import CLIPImageFeatures
    from affect_llm.errors import ModelError

    tiny_clip(tmp_path, seed=0)
    (tmp_path / "preprocessor_config.json").unlink()
    for encoder in (HFVisionEncoder, CLIPImageFeatures):
        with pytest.raises(ModelError, match="preprocessor_config.json"):
            encoder(tmp_path)
