"""Teacher targets kept on disk: computed once per chunk of text, read back after.

A big teacher labelling tens of thousands of sentences takes an hour on a 2-core CPU. Two places keep what it
computed, one ``.npz`` file per chunk of text, named by a digest of what the targets depend on:

* a resumable run's ``.NAME.targets`` folder (:meth:`specialize.training.checkpoint.TrainingCheckpoint.remember`),
  removed with its checkpoint once the run is saved;
* a :class:`TargetStore` the user names (``distillation.teacher_targets``, ``--teacher-targets DIR``), kept across
  runs: several students distilled from one teacher on the same text (another size, another learning rate, another
  seed) have it label that text once.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specialize.data.model_folder import model_fingerprint
from specialize.errors import ConfigError, OutputExistsError

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

TARGETS_SUFFIX = ".npz"  # one file per chunk of teacher targets, named by the chunk's digest
STORE_MARKER = "teacher_targets.json"


def digest_of(*parts: Any) -> str:
    """A stable name for what ``parts`` describe (JSON of them, hashed)."""
    return hashlib.sha256(json.dumps(list(parts), default=str, sort_keys=True).encode()).hexdigest()[:32]


def saved_or_computed(path: Path, compute: Callable[[], list[Any]]) -> list[Any]:
    """The arrays saved at ``path``, or ``compute()``'s, saved there in one rename (a crash leaves no half file)."""
    import numpy as np

    if path.exists():
        with np.load(path, allow_pickle=False) as saved:
            return [saved[f"arr_{i}"] for i in range(len(saved.files))]
    arrays = compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_name(path.name + ".saving")
    with staging.open("wb") as f:
        np.savez(f, *[np.asarray(a) for a in arrays])  # saved as arr_0, arr_1, ...
    staging.rename(path)
    return arrays


@dataclass
class TargetStore:
    """A folder of one or more teachers' targets, kept across runs (:meth:`remember` is a
    :data:`~specialize.tasks.base.TargetMemo`). A file is named by the teacher's fingerprint and the chunk's key
    (its texts, the student's words and labels), so only the same teacher on the same text reads it back."""

    folder: Path
    teacher: str  # model_fingerprint of the teacher folder

    @classmethod
    def open(cls, folder: str | Path, teacher_folder: Path | None, fingerprint: str | None = None) -> TargetStore:
        """The store in ``folder`` for the teacher in ``teacher_folder`` (or, for a teacher made of model folders
        such as ``mean:A+B``, the ``fingerprint`` it gives); refuses a folder that holds files this module did not
        write, and a teacher that is neither (nothing to fingerprint it by)."""
        folder = Path(folder)
        if fingerprint is None and teacher_folder is None:
            raise ConfigError(
                "distillation.teacher_targets keeps the targets of a teacher model folder (one written by train or "
                "distill) or a mean: of them; this teacher is neither: drop --teacher-targets"
            )
        if fingerprint is None and teacher_folder is not None:
            fingerprint = model_fingerprint(teacher_folder)
        if folder.exists() and not folder.is_dir():
            raise OutputExistsError(f"--teacher-targets {folder} is a file; name a folder")
        marker = folder / STORE_MARKER
        if folder.is_dir() and any(folder.iterdir()) and not marker.is_file():
            raise OutputExistsError(
                f"--teacher-targets {folder} holds files specialize did not write there; name an empty or new folder"
            )
        if not marker.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            what = "teachers' targets, one .npz per chunk of text (safe to delete)"
            info = {"written_by": f"specialize distill or train-static: {what}"}
            marker.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        store = cls(folder, str(fingerprint))
        logger.info("teacher targets: read from / written to %s (teacher %s, fingerprint %s)", folder,
                    teacher_folder, store.teacher)  # fmt: skip
        return store

    def remember(self, key: Any, compute: Callable[[], list[Any]]) -> list[Any]:
        return saved_or_computed(self.folder / f"{digest_of(self.teacher, key)}{TARGETS_SUFFIX}", compute)
