"""One answer as a JSON-able record: the shape ``describe --json`` prints and ``infer`` writes."""

from __future__ import annotations

from typing import Any


def result_record(perception: Any, answer: Any, model_name: str, timings: dict[str, float]) -> dict[str, Any]:
    cues = perception.cues_dict()
    cues["subtitle_source"] = perception.subtitle_source
    return {
        "id": perception.clip_id,
        "explanation": answer.explanation,
        "emotions": answer.emotions,
        "emotions_source": answer.emotions_source,
        "sections": answer.sections,
        "grounding": answer.grounding,
        "cues": cues,
        "model": model_name,
        "timings": timings,
    }


def error_record(clip_id: str, error: str, stage: str, **extra: Any) -> dict[str, Any]:
    return {"id": clip_id, "error": error, "stage": stage, **extra}
