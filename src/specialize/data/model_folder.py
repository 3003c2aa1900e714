"""Read what ``specialize`` saved in a model folder's config.json: the label list and one settings section.

Span models keep their settings under ``specialize.inference``, text classifiers under
``specialize.classifier``; torch folders and exported (ONNX) folders alike. No torch import.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

SettingsT = TypeVar("SettingsT")


def read_saved_settings(
    folder: str | Path, section: str, settings_type: type[SettingsT], *, kind: str, how_to_fix: str
) -> tuple[list[str], SettingsT]:
    """(labels in id order, ``settings_type`` built from ``config.json``'s ``specialize.<section>``).

    Keys the dataclass does not know (written by a newer version) are ignored. ``kind`` names what the folder
    should be and ``how_to_fix`` ends the errors for a folder that is not one.
    """
    config_path = Path(folder) / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{folder} is not a model folder (no config.json); {how_to_fix}")
    raw: dict[str, Any] = json.loads(config_path.read_text(encoding="utf-8"))
    saved = raw.get("specialize", {}).get(section)
    if not isinstance(saved, dict):
        raise ValueError(
            f"{config_path} has no 'specialize.{section}' section: not a {kind} written by specialize; {how_to_fix}"
        )
    id2label = {int(k): v for k, v in (raw.get("id2label") or {}).items()}
    if not id2label:
        raise ValueError(f"{config_path} has no id2label: cannot name the model's outputs")
    fields = settings_type.__dataclass_fields__  # type: ignore[attr-defined]
    settings = settings_type(**{k: v for k, v in saved.items() if k in fields})
    return [id2label[i] for i in range(len(id2label))], settings
