"""Hidden global state: cached objects shared by every caller must not be changed by one of them."""

from __future__ import annotations

import copy
import json
import pickle

import pytest

from affect_llm.prompts import load_yaml


@pytest.mark.parametrize("name", ["textualized.yaml", "affectgpt.yaml"])
def test_prompt_templates_are_read_only_and_still_read_like_dicts(name):
    template = load_yaml(name)
    assert load_yaml(name) is template  # cached, hence shared
    key = next(iter(template))
    with pytest.raises(TypeError, match="read-only"):
        template[key] = "changed"
    with pytest.raises(TypeError, match="read-only"):
        template.update({key: "changed"})
    with pytest.raises(TypeError, match="read-only"):
        del template[key]
    nested = [v for v in template.values() if isinstance(v, (dict, list))]
    assert nested, "the templates hold nested sections"
    for value in nested:
        with pytest.raises(TypeError, match="read-only"):
            value.clear()
    # The reads the models do keep working, and copies are private and editable.
    assert json.loads(json.dumps(template)) == template
    assert pickle.loads(pickle.dumps(template)) == template == copy.deepcopy(template)
    mine = dict(template, extra="x")
    mine[key] = "changed"
    assert load_yaml(name)[key] != "changed" and "extra" not in load_yaml(name)


def test_textualized_sections_still_compose():
    template = load_yaml("textualized.yaml")
    specs = template["sections"] + [dict(template["emotions"], name="emotions", needs="any")]
    assert isinstance(specs, list) and specs[-1]["name"] == "emotions"
    assert len(specs) == len(template["sections"]) + 1


def test_feature_extractor_to_device_leaves_the_shared_whisper_where_it_was():
    """``FeatureExtractor.to`` used to move the process-wide cached Whisper (the one perception
    transcribes with) to the extractor's device. The meta device stands in for a GPU here."""
    from affect_llm.encoders.whisper_audio import load_whisper
    from affect_llm.features.extract import FeatureExtractor, StreamSpec

    shared = load_whisper("bundled", "cpu")
    extractor = FeatureExtractor([StreamSpec("audio", "audio", "bundled")])
    assert extractor.encoders["audio"] is shared
    assert extractor.to("meta") is extractor
    assert shared.device.type == "cpu" and load_whisper("bundled", "cpu") is shared
    assert extractor.encoders["audio"].device.type == "meta"
    assert extractor.encoders["audio"] is load_whisper("bundled", "meta")
    assert extractor.to("cpu").encoders["audio"] is shared
