"""Where and how a result was produced: the command line and the machine, for every record and model card."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import sys
from pathlib import Path
from typing import Any


def _read_first(path: str, prefix: str) -> str | None:
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def command_line() -> str:
    """This process's command as a user would retype it (``python -m specialize`` shows as ``specialize``)."""
    program = Path(sys.argv[0]).name if sys.argv else ""
    head = ["specialize"] if program in ("__main__.py", "specialize") else sys.argv[:1]
    return shlex.join([*head, *sys.argv[1:]])


# The instruction sets that decide how fast int8 and bf16 matrix multiplies run: the same "AMD EPYC" has been
# lent here with AVX-512 VNNI one day (int8 ONNX ~3x fp32) and with AVX2 only another (int8 no faster), so a speed
# record says which it had.
SPEED_FEATURES = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_tile", "amx_int8")


def cpu_features() -> list[str] | None:
    """Which of :data:`SPEED_FEATURES` the CPU reports (Linux /proc/cpuinfo), None where that cannot be read."""
    flags = _read_first("/proc/cpuinfo", "flags")
    if flags is None:
        return None
    present = set(flags.split())
    return [f for f in SPEED_FEATURES if f in present]


def machine_info() -> dict[str, Any]:
    """CPU (and its speed-relevant instruction sets), cores, RAM, GPU (NVIDIA, from /proc), Python and key
    package versions.

    Versions come from installed package metadata, so torch is never imported just to describe the machine.
    """
    mem = _read_first("/proc/meminfo", "MemTotal")
    ram_gb = round(int(mem.split()[0]) / 1024**2, 1) if mem else None
    gpus = []
    gpu_root = Path("/proc/driver/nvidia/gpus")
    if gpu_root.is_dir():
        for info in sorted(gpu_root.glob("*/information")):
            model = _read_first(str(info), "Model")
            if model:
                gpus.append(model)
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "cpu": _read_first("/proc/cpuinfo", "model name") or platform.processor() or platform.machine(),
        "cpu_features": cpu_features(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "ram_gb": ram_gb,
        "gpus": gpus,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "packages": {d: _version(d) for d in ("specialize", "numpy", "torch", "transformers", "onnxruntime", "spacy")},
    }
