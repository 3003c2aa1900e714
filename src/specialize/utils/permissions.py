"""File modes of the folders specialize writes: readable like any other file the user writes.

transformers 5 saves weights with mode 0600 and ``tempfile.mkdtemp`` makes private folders, so a model folder
trained by one user could not be served by another (a service account, a container) although every other
file in it could. The user's umask stays the authority: with ``umask 077`` everything stays private.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

_UMASK_LINE = re.compile(r"^Umask:\s*([0-7]+)\s*$", re.M)


def current_umask() -> int:
    """The process umask, read without changing it where Linux shows it (``os.umask`` can only be read by
    setting it, which races with threads creating files)."""
    try:
        match = _UMASK_LINE.search(Path("/proc/self/status").read_text())
    except OSError:
        match = None
    if match:
        return int(match.group(1), 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_readable(folder: str | Path) -> None:
    """Give ``folder``, every folder in it ``0o777 & ~umask`` and every file ``0o666 & ~umask`` (0755/0644
    under the usual umask 022). Symbolic links are left alone."""
    mask = current_umask()
    file_mode, dir_mode = 0o666 & ~mask, 0o777 & ~mask
    root = Path(folder)
    os.chmod(root, dir_mode)
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, dir_mode)
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                os.chmod(path, file_mode)
