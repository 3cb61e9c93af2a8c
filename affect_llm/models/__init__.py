"""Emotion models behind one interface, ``EmotionModel`` (``models/protocol.py``): ``name``, ``llm``
(the load step), ``answer``, ``answer_stream`` and ``followup``. Every app is written against it.

``spec`` is ``"default"`` (the embedded textualized model on the bundled SmolLM2) or a folder:

* an affect-llm model folder: ``config.json`` with an ``"affect_llm"`` section whose
  ``"architecture"`` names the model class (``"textualized"``, or ``"affectgpt"`` for trained
  AffectGPT-style folders, see ``models/affectgpt/``);
* a plain Hugging Face causal-LM folder: the textualized model on that LLM (e.g. Qwen2.5-7B).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ModelError

if TYPE_CHECKING:
    from .protocol import EmotionModel

DEFAULT_MODEL = "default"


def read_model_config(folder: Path) -> dict[str, Any]:
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise ModelError(f"model folder {folder} has no config.json: give 'default', an affect-llm "
                         "model folder, or a Hugging Face causal-LM folder")
    try:
        return json.loads(cfg_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{cfg_path} is not valid JSON ({exc}): fix or re-save the model folder") from exc


def load_model(spec: str = DEFAULT_MODEL, device: str = "cpu") -> EmotionModel:
    """The model named by ``spec``, with its LLM placed on ``device`` when it is first used."""
    from .textualized import TextualizedModel

    if spec == DEFAULT_MODEL:
        return TextualizedModel(device=device)
    folder = Path(spec).expanduser()
    if not folder.is_dir():
        raise ModelError(f"model {spec!r} is neither 'default' nor an existing folder: "
                         "run `affect-llm models` to see what is available")
    config = read_model_config(folder)
    section = config.get("affect_llm")
    if section is None:
        return TextualizedModel(llm=str(folder), name=folder.name, device=device)
    arch = section.get("architecture")
    if arch == "textualized":
        llm = section.get("llm", "smollm2")
        if llm != "smollm2" and not Path(llm).is_absolute():
            llm = str((folder / llm).resolve())
        return TextualizedModel(llm=llm, template=section.get("template", "textualized.yaml"),
                                max_new_tokens=int(section.get("max_new_tokens", 40)), name=folder.name,
                                device=device, dtype=section.get("dtype", "auto"),
                                max_batch_rows=int(section.get("max_batch_rows", 0)))
    if arch == "affectgpt":
        from .affectgpt.inference import AffectGPT

        return AffectGPT(folder, device=device)
    raise ModelError(f"{folder / 'config.json'}: unknown architecture {arch!r}; this version of "
                     "affect-llm knows 'textualized' and 'affectgpt'. Upgrade affect-llm or fix the config.")
