"""Arguments of a training run, as one typed dataclass (also the ``[training]`` table of a TOML config)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specialize.errors import ConfigError
from specialize.utils.device import check_device

if TYPE_CHECKING:
    import torch


def cpu_has_native_bf16() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            flags = next((line for line in f if line.startswith("flags")), "")
    except OSError:
        return False
    return " avx512_bf16" in flags or " amx_bf16" in flags


@dataclass
class TrainingArgs:
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 1e-4
    # The freshly initialised classifier and shape embeddings learn faster than the pretrained encoder.
    head_learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    max_grad_norm: float = 1.0
    seed: int = 0
    threads: int | None = None  # torch intra-op threads; None = all cores
    patience: int | None = None  # stop after this many epochs without dev improvement; None = run all epochs
    evaluations_per_epoch: int = 1  # dev evaluations (and checkpoint choices) per epoch
    # bfloat16 autocast for forward/backward; None = on when the CPU has native bf16 (AVX-512-BF16 or AMX),
    # where it measured 1.25x faster here; emulated bf16 on other CPUs is slower than float32. On a GPU, None
    # and true autocast to bfloat16 (float16 with loss scaling where the GPU lacks bf16); false = float32.
    bf16: bool | None = None
    device: str = "auto"  # auto (a CUDA GPU when torch sees one, else the CPU), cpu, cuda or cuda:N
    progress: bool = True  # tqdm progress bar with loss and sentences/s
    # Classification: train on at most this many windows of each long text (evenly spaced, first and last
    # included) to bound an epoch's cost; prediction always reads every window. None = all windows.
    max_windows_per_document: int | None = None
    # Save the run's whole state this often, beside the output folder, so `--resume` can go on after a crash or
    # a lost session (specialize.training.checkpoint); None = never. 0 = after every step (tests).
    checkpoint_minutes: float | None = None

    @property
    def use_bf16(self) -> bool:
        return cpu_has_native_bf16() if self.bf16 is None else self.bf16

    def autocast_dtype(self, device: torch.device) -> torch.dtype | None:
        """Training precision on ``device``: None = float32 throughout."""
        import torch

        if device.type == "cuda":
            if self.bf16 is False:
                return None
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.bfloat16 if self.use_bf16 else None

    def validate(self) -> None:
        checks = [
            (self.epochs >= 1, "epochs must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.learning_rate > 0, "learning_rate must be > 0"),
            (self.head_learning_rate > 0, "head_learning_rate must be > 0"),
            (0 <= self.warmup_ratio < 1, "warmup_ratio must be in [0, 1)"),
            (self.max_grad_norm > 0, "max_grad_norm must be > 0"),
            (self.threads is None or self.threads >= 1, "threads must be >= 1"),
            (self.patience is None or self.patience >= 1, "patience must be >= 1"),
            (self.evaluations_per_epoch >= 1, "evaluations_per_epoch must be >= 1"),
            (
                self.max_windows_per_document is None or self.max_windows_per_document >= 1,
                "max_windows_per_document must be >= 1",
            ),
            (
                self.checkpoint_minutes is None or self.checkpoint_minutes >= 0,
                "checkpoint_minutes must be >= 0 (or none)",
            ),
        ]
        errors = [message for ok, message in checks if not ok]
        try:
            check_device(self.device)
        except ValueError as exc:
            errors.append(str(exc))
        if errors:
            raise ConfigError("invalid training arguments: " + "; ".join(errors))


@dataclass
class DistillationArgs:
    """How a student learns from its teacher (also the ``[distillation]`` table of a distill config)."""

    # Above 1 softens both distributions, so the teacher's probability mass beyond its argmax carries signal.
    temperature: float = 2.0
    alpha: float = 0.5  # weight of the teacher term against gold cross-entropy, where gold labels exist
    soft: bool = True  # False: the teacher's answers become training labels (any teacher)

    def validate(self) -> None:
        if self.temperature <= 0:
            raise ConfigError(f"distillation temperature must be > 0, got {self.temperature}")
        if not 0 <= self.alpha <= 1:
            raise ConfigError(f"distillation alpha must be in [0, 1], got {self.alpha}")


@dataclass
class AdaptArgs:
    """How a base goes on with masked-LM pretraining on in-domain text (specialize.training.adapt)."""

    epochs: int = 1
    batch_size: int = 32
    max_length: int = 128  # tokens per block of joined text
    mlm_probability: float = 0.15  # share of the tokens masked, as in BERT
    whole_words: bool = True  # mask every subword of a chosen word together
    learning_rate: float = 5e-5  # the pretrained encoder
    head_learning_rate: float = 1e-3  # the masked-LM head: fresh when the base has none (sentence-embedding models)
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    max_grad_norm: float = 1.0
    held_out: float = 0.05  # share of the blocks kept out to measure the masked-LM loss before and after
    limit: int | None = None  # adapt on the first N texts only
    seed: int = 0
    threads: int | None = None  # torch intra-op threads; None = all cores
    device: str = "auto"
    progress: bool = True  # log the loss every 50 steps (always every 5 minutes)

    def validate(self) -> None:
        checks = {
            "epochs": self.epochs >= 1,
            "batch_size": self.batch_size >= 1,
            "max_length": self.max_length >= 8,
            "mlm_probability": 0 < self.mlm_probability < 1,
            "learning_rate": self.learning_rate > 0,
            "head_learning_rate": self.head_learning_rate > 0,
            "warmup_ratio": 0 <= self.warmup_ratio < 1,
            "held_out": 0 <= self.held_out < 1,
            "limit": self.limit is None or self.limit >= 1,
            "threads": self.threads is None or self.threads >= 0,
        }
        for name, ok in checks.items():
            if not ok:
                raise ConfigError(f"adapt.{name} = {getattr(self, name)!r} is out of range (specialize adapt --help)")
        check_device(self.device)


@dataclass
class StaticArgs:
    """A static student's architecture and how its embedding table is made (the ``[static]`` table of a
    train-static config; see specialize.training.train_static)."""

    dim: int = 128
    kernel_size: int = 3
    dilations: list[int] = field(default_factory=lambda: [1, 2, 4])
    dropout: float = 0.1
    shape_ids: list[int] | None = None  # token types to encode the vocabulary with; None: see default_shape_ids
    include_input: bool = False  # also PCA the encoder's input embedding rows
    frequency_weighting: bool = False  # SIF-weight token vectors by their frequency in the training texts
    freeze_embeddings: bool = False  # keep the distilled table fixed (tokens unseen in training stay in sync)

    def validate(self) -> None:
        """The checks the student's StaticConfig makes, at load (before the teacher is read), naming the key."""
        if self.dim < 1:
            raise ConfigError(f"static.dim must be >= 1, got {self.dim}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ConfigError(f"static.kernel_size must be odd (same-length output), got {self.kernel_size}")
        if not self.dilations or any(d < 1 for d in self.dilations):
            raise ConfigError(f"static.dilations must be a non-empty list of positive integers, got {self.dilations}")
        if not 0 <= self.dropout < 1:
            raise ConfigError(f"static.dropout must be in [0, 1), got {self.dropout}")


def static_training_args(**overrides: Any) -> TrainingArgs:
    """Training defaults for a static student: a small network trained from scratch wants larger steps and
    more epochs than a pretrained transformer (measured on CoNLL-2003: see benchmarks/static_student.py)."""
    defaults: dict[str, Any] = {
        "epochs": 5,
        "batch_size": 32,
        "learning_rate": 2e-3,
        "head_learning_rate": 2e-3,
        "weight_decay": 0.0,
        "warmup_ratio": 0.05,
    }
    return TrainingArgs(**{**defaults, **overrides})
