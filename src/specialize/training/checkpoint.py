"""Resumable training: the state of an interrupted run, kept beside its output folder.

A run with ``training.checkpoint_minutes`` set saves all it needs to go on every that many minutes: weights,
optimizer, learning-rate schedule, gradient scaler, random states, dev history, the best weights so far and where it
is in the epoch. They go to the hidden folder ``.NAME.checkpoint`` next to the output folder ``NAME`` (the output is
written only at the end, in one move), each save replacing the last in one rename, so a crash while saving leaves
the previous checkpoint whole. ``--resume`` goes on from it: the epoch's batches are drawn again from the random
state the epoch began with and the ones already taken are skipped, so the resumed run takes the same steps the
uninterrupted one would have (on the same device and thread count, the same weights). The checkpoint is removed
once the output folder is saved: the run wrote it, and nothing else is ever in it.

It is for the runs that outlast a session: a 110M teacher takes hours on a 2-core CPU. A distillation run also
keeps its teacher's targets, chunk by chunk as they are computed, in ``.NAME.targets`` (:meth:`remember`): labelling
tens of thousands of sentences with that teacher takes an hour of its own, and a resumed run reads them back.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specialize.errors import ConfigError, OutputExistsError
from specialize.training.targets import TARGETS_SUFFIX, digest_of, saved_or_computed

if TYPE_CHECKING:
    from collections.abc import Callable

logger = logging.getLogger(__name__)

STATE_FILE = "training_state.pt"
MARKER = "checkpoint.json"
FORMAT = 1
# Settings that change how fast a run goes or what it prints, not what it computes: a run may resume with others.
UNCHECKED = {"threads", "progress", "device", "checkpoint_minutes"}


def checkpoint_folder(output: str | Path) -> Path:
    """Where the checkpoint of a run writing ``output`` lives: a hidden sibling of it."""
    output = Path(output)
    return output.parent / f".{output.name}.checkpoint"


def settings_fingerprint(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` without the keys a resumed run may change (threads, device, progress bar, checkpoint period),
    in every table."""
    return {
        key: settings_fingerprint(value) if isinstance(value, dict) else value
        for key, value in settings.items()
        if key not in UNCHECKED
    }


def windows_digest(features: Any) -> str:
    """A hash of the training windows (their ids and labels): the data a checkpoint was trained on."""
    digest = hashlib.sha256()
    for feature in features:
        digest.update(json.dumps([feature.input_ids, feature.type_ids, feature.label_ids]).encode())
    return digest.hexdigest()[:16]


@dataclass
class TrainingCheckpoint:
    """The checkpoint of one run: ``minutes`` between saves (None: never saved), and whether to go on from it."""

    folder: Path
    settings: dict[str, Any]
    minutes: float | None
    resume: bool = False
    windows: str | None = None  # windows_digest of the training windows, set by the trainer

    @classmethod
    def claim(
        cls, output: str | Path, settings: dict[str, Any], minutes: float | None, *, resume: bool
    ) -> TrainingCheckpoint | None:
        """The checkpoint of a run writing ``output``, None for a run that neither saves nor resumes one (it then
        costs nothing: no hash of the training windows); refuses to start over a checkpoint without ``resume``
        (hours of training would be overwritten by accident)."""
        folder = checkpoint_folder(output)
        checkpoint = cls(folder, settings_fingerprint(settings), minutes, resume)
        info = checkpoint.info()
        if info is not None and not resume:
            raise OutputExistsError(
                f"an interrupted run left a checkpoint in {folder} ({checkpoint.describe(info)}); pass --resume to go "
                "on from it, or delete that folder to start over"
            )
        kept = checkpoint.targets_folder
        if not resume and kept.exists() and any(kept.iterdir()):
            raise OutputExistsError(
                f"an interrupted run left its teacher's targets in {kept}; pass --resume to use them, or delete that "
                "folder to start over"
            )
        if resume and info is None:
            logger.warning("--resume: no checkpoint in %s; starting from the first step", folder)
        return checkpoint if resume or minutes is not None else None

    @property
    def targets_folder(self) -> Path:
        """Where a distillation run keeps its teacher's targets: ``.NAME.targets`` beside ``.NAME.checkpoint``."""
        return self.folder.with_name(self.folder.name.removesuffix(".checkpoint") + ".targets")

    def remember(self, key: Any, compute: Callable[[], list[Any]]) -> list[Any]:
        """The teacher's targets on one chunk of text (a :data:`~specialize.tasks.base.TargetMemo`): read back when
        this run computed them before (in a session that was cut), else computed and saved in one rename. The file
        is named by a digest of ``key`` (what the chunk is: its texts, the labels) and the run's settings (the
        teacher among them), so a resumed run with another teacher or other text computes afresh."""
        return saved_or_computed(self.targets_folder / f"{digest_of(self.settings, key)}{TARGETS_SUFFIX}", compute)

    def info(self) -> dict[str, Any] | None:
        """The checkpoint's marker (what run, how far), or None when there is no checkpoint."""
        old = self.folder.with_name(self.folder.name + ".old")
        if not self.folder.exists() and old.exists() and _only_ours(old):
            old.rename(self.folder)  # a crash between the two renames of a save: the previous checkpoint is whole
        try:
            info = json.loads((self.folder / MARKER).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return info if isinstance(info, dict) and (self.folder / STATE_FILE).exists() else None

    @staticmethod
    def describe(info: dict[str, Any]) -> str:
        return f"step {info.get('step')} of {info.get('total_steps')}, saved {info.get('saved_at')}"

    def load(self, windows: str) -> dict[str, Any] | None:
        """The saved state to go on from (None: start from the first step); raises when it belongs to a run with
        other settings or other training windows, naming what differs."""
        self.windows = windows
        info = self.info()
        if not self.resume or info is None:
            return None
        if info.get("format") != FORMAT:
            raise ConfigError(f"{self.folder}: checkpoint format {info.get('format')}, this version reads {FORMAT}")
        changed = sorted(_changed(info.get("settings") or {}, self.settings))
        if changed:
            raise ConfigError(
                f"{self.folder} was saved by a run with other settings ({', '.join(changed)} differ); resume with the "
                "config it was started with, or delete that folder to start over"
            )
        if info.get("windows") != windows:
            raise ConfigError(
                f"{self.folder} was saved by a run on other training data (the windows differ); resume with the same "
                "data, or delete that folder to start over"
            )
        import torch

        state: dict[str, Any] = torch.load(self.folder / STATE_FILE, map_location="cpu", weights_only=False)
        logger.info("resuming from %s (%s)", self.folder, self.describe(info))
        return state

    def due(self, last_save: float) -> bool:
        return self.minutes is not None and time.monotonic() - last_save >= self.minutes * 60

    def save(self, state: dict[str, Any], *, step: int, total_steps: int) -> None:
        """Write ``state`` in a staging folder and swap it in: the previous checkpoint stays whole until then."""
        import torch

        self.folder.parent.mkdir(parents=True, exist_ok=True)
        staging = self.folder.with_name(self.folder.name + ".saving")
        if staging.exists():  # a save cut short before
            if not _only_ours(staging):
                raise OutputExistsError(f"{staging} holds files specialize did not write; move them out")
            shutil.rmtree(staging)
        staging.mkdir()
        torch.save(state, staging / STATE_FILE)
        info = {
            "format": FORMAT,
            "written_by": "specialize training (resume with --resume)",
            "step": step,
            "total_steps": total_steps,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "settings": self.settings,
            "windows": self.windows,
        }
        (staging / MARKER).write_text(json.dumps(info, indent=2, default=str) + "\n", encoding="utf-8")
        old = self.folder.with_name(self.folder.name + ".old")
        if self.folder.exists():
            if not _only_ours(self.folder):
                raise OutputExistsError(
                    f"{self.folder} holds files specialize did not write; move them out, or the run cannot checkpoint"
                )
            shutil.rmtree(old, ignore_errors=True)
            self.folder.rename(old)
        staging.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)
        logger.info("checkpoint at step %d of %d -> %s", step, total_steps, self.folder)

    def remove(self) -> None:
        """Delete the checkpoint and kept targets once the run's output is saved; only the files this module writes
        are there."""
        folders = [(self.folder.with_name(self.folder.name + suffix), False) for suffix in ("", ".old", ".saving")]
        for folder, targets in [*folders, (self.targets_folder, True)]:
            if folder.exists() and _only_ours(folder, targets=targets):
                shutil.rmtree(folder)
            elif folder.exists():
                logger.warning("%s holds files specialize did not write; left in place", folder)


def _only_ours(folder: Path, *, targets: bool = False) -> bool:
    """Whether ``folder`` holds nothing but what this module writes there: a checkpoint's two files, or (``targets``)
    the chunks of teacher targets."""
    if not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir()}
    if targets:
        return all(n.endswith((TARGETS_SUFFIX, TARGETS_SUFFIX + ".saving")) for n in names)
    return names <= {STATE_FILE, MARKER}


def _changed(saved: dict[str, Any], current: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys whose values differ between two settings tables."""
    out = []
    for key in sorted(set(saved) | set(current)):
        a, b = saved.get(key), current.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _changed(a, b, f"{prefix}{key}.")
        elif json.dumps(a, default=str, sort_keys=True) != json.dumps(b, default=str, sort_keys=True):
            out.append(f"{prefix}{key}")
    return out
