"""The one guard for every command that writes a folder (export, train, distill, train-static, train-linker).

A command claims its output folder before any work (so a refusal costs seconds, not a training run), writes
into a staging folder next to it, and moves the staging folder into place only when everything succeeded::

    claim = claim_output(output, "train", overwrite=overwrite, sources=[base, train_paths])
    ...                                   # hours of training
    with claim.writing() as folder:      # folder has the output's name, inside a hidden sibling
        save_run(model, folder, ...)     # an exception here leaves the old output as it was

Rules (issue #15: ``export --overwrite`` deleted the source model, the current folder, whatever was there):

- the output may not be the current folder or hold it, be a source the command reads (model, data, base), hold
  one, or lie inside one; ``--overwrite`` does not lift these;
- an existing file, or a non-empty folder without our marker, is never replaced: we did not write it;
- a folder with our marker (``.specialize-output.json``, naming the command that wrote it and every file it
  wrote) is replaced only with ``overwrite`` and only by the same command, and only while it holds nothing but
  the files listed in the marker (a user's notes put in later would otherwise vanish);
- the new folder replaces the old by two renames in the same parent folder (no copy; a crash between them
  leaves the old folder inside the ``.NAME.*.specialize-tmp`` sibling, never half a folder at the output).

The checks run again at the end: if the output changed while the command ran into something it may not
replace, the new folder is kept in the staging folder and the error says where.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from specialize.errors import OutputExistsError
from specialize.utils.permissions import make_readable

logger = logging.getLogger(__name__)

MARKER = ".specialize-output.json"
STAGING_SUFFIX = ".specialize-tmp"


class OutputFolderError(OutputExistsError):
    """The output folder may not be written: the message names the folder, why, and what to do instead."""


@dataclass(frozen=True)
class OutputClaim:
    """An output folder checked by :func:`claim_output`; :meth:`writing` stages and commits it."""

    target: Path
    kind: str
    overwrite: bool
    sources: tuple[Path, ...]

    @contextlib.contextmanager
    def writing(self) -> Iterator[Path]:
        """A new folder with the output's name inside a hidden staging sibling; when the block ends without an
        error it gets the marker and readable file modes and replaces the output. On an error it is removed and
        the output is left as it was."""
        self.target.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.", suffix=STAGING_SUFFIX, dir=self.target.parent))
        folder = stage / self.target.name
        folder.mkdir()
        try:
            yield folder
            write_marker(folder, self.kind)
            make_readable(folder)
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        self._commit(stage, folder)

    def _commit(self, stage: Path, folder: Path) -> None:
        try:
            replacing = _check(self.target, self.kind, self.overwrite, self.sources)
        except OutputFolderError as exc:
            raise OutputFolderError(f"{exc}. Nothing was replaced; the new folder is in {folder}") from None
        try:
            if replacing:
                old = stage / ".replaced"
                self.target.rename(old)
                try:
                    folder.rename(self.target)
                except OSError:
                    old.rename(self.target)  # put the old folder back before saying what failed
                    raise
            else:
                # An empty folder at the output is replaced by the rename itself.
                folder.rename(self.target)
        except OSError as exc:
            raise OutputFolderError(
                f"could not move the new folder to {self.target} ({exc}); it is kept in {folder}"
            ) from None
        shutil.rmtree(stage, ignore_errors=True)
        logger.debug("wrote %s (%s)", self.target, "replaced" if replacing else "new")


def claim_output(output: str | Path, kind: str, *, overwrite: bool = False, sources: Iterable[Any] = ()) -> OutputClaim:
    """Check that command ``kind`` (``"export"``, ``"train"``...) may write the folder ``output``; raise
    :class:`OutputFolderError` saying why not and what to do. ``sources``: what the command reads (paths,
    dataset names, lists of them, documents); the ones that are existing paths are protected."""
    target = Path(output)
    protected = tuple(_existing_paths(sources))
    _check(target, kind, overwrite, protected)
    return OutputClaim(target, kind, overwrite, protected)


def read_marker(folder: str | Path) -> dict[str, Any] | None:
    """The marker of a folder a specialize command wrote, or None (no marker, or not one of ours)."""
    path = Path(folder) / MARKER
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("kind"), str):
        return None
    return marker


def write_marker(folder: Path, kind: str) -> None:
    from specialize import __version__

    marker = {
        "written_by": f"specialize {kind}",
        "kind": kind,
        "specialize_version": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "files": sorted(_files(folder)),
        "note": "specialize replaces this folder (--overwrite) only while it holds just these files",
    }
    (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")


def _files(folder: Path) -> Iterator[str]:
    for path in folder.rglob("*"):
        if (path.is_file() or path.is_symlink()) and path.name != MARKER:
            yield path.relative_to(folder).as_posix()


def _existing_paths(sources: Iterable[Any]) -> Iterator[Path]:
    for source in sources:
        if isinstance(source, str | Path):
            path = Path(source)
            if str(source) and path.exists():
                yield path
        elif isinstance(source, list | tuple):
            yield from _existing_paths(source)


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _check(target: Path, kind: str, overwrite: bool, sources: tuple[Path, ...]) -> bool:
    """Raise if ``target`` may not be written; True when an earlier output of the same command is replaced."""
    where = f"output folder {target}"
    if target.is_symlink():
        raise OutputFolderError(f"{where} is a symbolic link; pass the folder it points to, or a new folder")
    real, cwd = target.resolve(), Path.cwd().resolve()
    if _within(cwd, real):
        what = "the current folder" if real == cwd else f"holds the current folder {cwd}"
        raise OutputFolderError(f"{where} is {what}; choose a new folder, e.g. --output ./{kind}-output")
    for source in sources:
        src = source.resolve()
        if real == src:
            raise OutputFolderError(f"{where} is {source}, which this command reads; choose another --output")
        if _within(src, real):
            raise OutputFolderError(f"{where} holds {source}, which this command reads; choose another --output")
        if _within(real, src):
            raise OutputFolderError(f"{where} is inside {source}, which this command reads; choose another --output")
    if not target.exists():
        return False
    if not target.is_dir():
        raise OutputFolderError(f"{where} is a file; choose a folder path for --output")
    if not any(target.iterdir()):
        return False  # an empty folder: nothing to lose
    marker = read_marker(target)
    if marker is None:
        raise OutputFolderError(
            f"{where} exists and holds files that specialize did not write (no {MARKER}); it is never replaced. "
            "Choose a new or empty folder for --output"
        )
    if marker["kind"] != kind:
        raise OutputFolderError(
            f"{where} was written by specialize {marker['kind']}; specialize {kind} replaces only its own "
            "folders. Choose another --output"
        )
    if not overwrite:
        raise OutputFolderError(
            f"{where} exists (written by specialize {kind} on {marker.get('created', '?')}); pass --overwrite to "
            "replace it, or choose another --output"
        )
    listed = set(marker.get("files") or [])
    foreign = sorted(p for p in _files(target) if p not in listed)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise OutputFolderError(
            f"{where} holds files that specialize {kind} did not write ({shown}); --overwrite would delete them. "
            "Move them out of the folder, or choose another --output"
        )
    return True
