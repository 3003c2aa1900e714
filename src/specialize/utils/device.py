"""Where torch models run (``--device auto|cpu|cuda``), in which precision, and how batches get there.

- ``auto`` is CUDA when torch sees a GPU, else the CPU; ``cuda`` without one is an error, not a silent CPU run.
- Training autocasts on the GPU to bfloat16, or float16 with a gradient scaler where the GPU lacks bfloat16;
  on the CPU it follows the bf16 rule of TrainingArgs (native bf16 only): see TrainingArgs.autocast_dtype.
- Batches are moved to the model's device and reduced to the arguments its forward names (an MPNet forward
  takes no ``token_type_ids``, and would swallow them silently through ``**kwargs``).
- Saved folders are written from CPU tensors, so they are the same whichever device trained the model.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from specialize.errors import ConfigError

if TYPE_CHECKING:  # torch loads on first use: configs validate the device name without it
    import torch

DEVICES = ("auto", "cpu", "cuda")


def check_device(spec: str) -> None:
    """Raise a ValueError naming the accepted values unless ``spec`` is auto, cpu, cuda or cuda:N."""
    head, _, index = spec.partition(":")
    if head not in DEVICES or (index and (head != "cuda" or not index.isdigit())):
        raise ConfigError(f"device must be auto, cpu, cuda or cuda:N, got {spec!r}")


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """The torch device ``spec`` names: ``auto`` = the first GPU when torch sees one, else the CPU."""
    import torch

    if isinstance(spec, torch.device):
        return spec
    check_device(spec)
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if spec.startswith("cuda"):
        if not torch.cuda.is_available():
            build = "a CPU-only torch build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
            raise ConfigError(
                f"device {spec!r} asked for, but torch sees no CUDA GPU ({build}); use --device cpu (or auto)"
            )
        index = int(spec.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ConfigError(f"device {spec!r}: torch sees {torch.cuda.device_count()} GPU(s)")
    return torch.device(spec)


def move_model(model: torch.nn.Module, spec: str | torch.device) -> torch.device:
    """Put ``model`` on the device ``spec`` names (see :func:`resolve_device`); returns that device."""
    device = resolve_device(spec)
    model.to(device)
    return device


def place_predictor(predictor: Any, spec: str, *, strict: bool = True) -> Any:
    """Run a torch predictor (a specialist, text classifier: anything with ``.to`` and a torch ``.model``) on
    ``spec``. Others (exported ONNX, spaCy, LLM, rules) run where they run: ``auto`` and ``cpu`` leave them be;
    an explicit ``cuda`` is an error for them when ``strict`` (predict, serve), ignored otherwise (a teacher)."""
    check_device(spec)
    # A torch model means torch is loaded already: an exported model is served without importing it.
    torch = sys.modules.get("torch")
    inner = getattr(predictor, "model", None)
    if torch is not None and isinstance(inner, torch.nn.Module) and callable(getattr(predictor, "to", None)):
        return predictor.to(spec)
    if strict and spec.startswith("cuda"):
        name = getattr(predictor, "name", type(predictor).__name__)
        raise ConfigError(
            f"{name} ({type(predictor).__name__}) is not a torch model and runs on the CPU; drop --device {spec}"
        )
    return predictor


def model_device(model: torch.nn.Module) -> torch.device:
    import torch

    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


def autocast(device: torch.device, dtype: torch.dtype | None) -> contextlib.AbstractContextManager[Any]:
    """Autocast to ``dtype`` on ``device``, or nothing when ``dtype`` is None."""
    import torch

    if dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=dtype)


def grad_scaler(device: torch.device, dtype: torch.dtype | None) -> torch.amp.GradScaler:
    """A loss scaler, active only for float16 on a GPU (bfloat16 and float32 need none)."""
    import torch

    return torch.amp.GradScaler(device.type, enabled=device.type == "cuda" and dtype == torch.float16)


def move_batch(batch: Mapping[str, Any], device: torch.device) -> dict[str, Any]:
    """``batch`` with every array or tensor as a tensor on ``device`` (other values unchanged)."""
    import torch

    moved: dict[str, Any] = {}
    for key, value in batch.items():
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        if isinstance(value, torch.Tensor):
            value = value.to(device, non_blocking=True)
        moved[key] = value
    return moved


def forward_names(model: torch.nn.Module) -> frozenset[str]:
    """The argument names ``model.forward`` declares (``**kwargs`` not counted)."""
    params = inspect.signature(model.forward).parameters.values()
    return frozenset(p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))


def model_inputs(model: torch.nn.Module, batch: Mapping[str, Any]) -> dict[str, Any]:
    """``batch`` as ``model`` takes it: only the arguments its forward names, as tensors on its device."""
    names = forward_names(model)
    return move_batch({k: v for k, v in batch.items() if k in names}, model_device(model))


@contextlib.contextmanager
def on_cpu(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """``model`` on the CPU for the block (saving), then back on its device."""
    device = model_device(model)
    if device.type == "cpu":
        yield model
        return
    model.to("cpu")
    try:
        yield model
    finally:
        model.to(device)
