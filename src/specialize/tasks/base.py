"""The interface every task implements, so that train, distill, evaluate, the model card, predict, apply, serve
and the cascade are written once and take any task.

A task says how its data is read and validated, which labels a model of it outputs, how a model of it is built
and loaded, what a training window's target is and how the loss (and the distillation loss) is computed, how its
predictions are scored, what its model card and its records say, and what fields an answer adds to a record.
:mod:`specialize.tasks.spans` (named entities: character-offset spans) and
:mod:`specialize.tasks.classification` (labels of whole texts, single- or multi-label) implement it; a new task
(relations, sentence pairs) is one more implementation, not a copy of the workflow.

Torch is imported only by the training-side methods, so reading, scoring, answering and the torch-free runtime
work without it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from specialize.config import DataConfig, ModelConfig, TrainConfig
from specialize.data.document import Document
from specialize.data.features import WindowFeatures
from specialize.data.loading import LoadedData, combine, sha256_of
from specialize.errors import DataError
from specialize.evaluation.error_analysis import ErrorAnalysis
from specialize.evaluation.span_metrics import BootstrapCI, SpanScores
from specialize.training.args import DistillationArgs

UNLABELED = "unlabeled"  # the role of texts without gold annotations: they learn from a teacher only


@dataclass
class LabelScheme:
    """What a model of the task outputs: labels in id order (IOB2 tags for spans) and, for classifiers, whether
    several labels may hold at once."""

    labels: list[str]
    multi_label: bool = False


@dataclass
class Windows:
    """Training windows of some texts, each with its targets, plus what the task needs to add soft targets."""

    windows: list[WindowFeatures]
    texts: list[str]
    context: Any = None  # the task's own (a span task's tokenized documents)
    available: int | None = None  # windows before any per-text cap (classification), for the record
    note: str = ""  # for the model card (alignment of spans to subwords)


@dataclass
class Scored:
    """One model's scores on a gold set: per type (entity type, or label) and micro/macro, with intervals."""

    scores: SpanScores
    ci: BootstrapCI | None
    errors: ErrorAnalysis | None = None  # spans: missed / spurious / wrong type / wrong boundary
    accuracy: float | None = None  # classification: share of texts whose label set is exactly right
    accuracy_ci: tuple[float, float] | None = None


@dataclass
class TeacherTargets:
    """How a distillation run's targets were made, for the card and the record."""

    kind: str  # "soft" or "hard"
    where: str = ""  # what the soft targets are (per word; per window; per text)
    loss: str = "KL divergence"  # how the student is pulled towards them
    details: dict[str, Any] = field(default_factory=dict)


# Remembers the teacher's targets on one chunk of training text: called with what names the chunk (its texts, the
# label list: anything JSON can write) and the function that computes them; a resumable run reads them back instead
# of asking the teacher again (TrainingCheckpoint.remember), a run that keeps nothing just computes (compute_now).
TargetMemo = Callable[[Any, Callable[[], list[Any]]], list[Any]]


def compute_now(key: Any, compute: Callable[[], list[Any]]) -> list[Any]:
    """The :data:`TargetMemo` of a run that keeps nothing: the targets, computed."""
    return compute()


class Task(ABC):
    """One task: implement every abstract method (see the module docstring)."""

    name: ClassVar[str]  # "ner" or "classification": config.json's specialize.task, model.task in a config
    what: ClassVar[str]  # "span model" / "text classifier", for messages
    count_name: ClassVar[str]  # what a data file's annotations are called in the card: "spans" / "labels"
    answer_fields: ClassVar[tuple[str, ...]]  # what an answer adds to an output record

    # -- data ---------------------------------------------------------------------------------------------------
    def check_data_config(self, data: DataConfig) -> None:  # noqa: B027 (optional: most settings fit every task)
        """Refuse ``[data]`` settings that do not apply to this task, rather than ignore them."""

    @abstractmethod
    def read(self, source: str, data: DataConfig) -> tuple[list[Any], Path | None, Counter[str]]:
        """Items of a file, folder or dataset name; the file to checksum (None: none); annotations dropped."""

    @abstractmethod
    def prepare(self, items: Sequence[Any], data: DataConfig) -> tuple[list[Any], Counter[str]]:
        """Items given in memory, with the same label map and filter ``read`` applies; annotations dropped."""

    @abstractmethod
    def count(self, item: Any) -> int:
        """Annotations of one item (spans, or labels)."""

    @abstractmethod
    def validate(self, data: LoadedData[Any]) -> None:
        """Raise a :class:`~specialize.errors.DataError` naming the data and the counts when it cannot be used."""

    @abstractmethod
    def unlabeled(self, documents: Sequence[Document]) -> list[Any]:
        """Items without annotations for these texts (what distillation reads unlabeled text as)."""

    def load(
        self,
        role: str,
        source: str | Path | Sequence[str] | Sequence[Any],
        data: DataConfig,
    ) -> LoadedData[Any]:
        """Read a path or dataset name, several of them (items concatenated, each file kept for the card), or
        items in memory, as data of ``role`` with its provenance."""
        if isinstance(source, list | tuple) and source and all(isinstance(s, str | Path) for s in source):
            return combine(role, [self.load(role, s, data) for s in source])
        if not isinstance(source, str | Path):
            items, dropped = self.prepare(list(source), data)
            return self._loaded(role, "(in memory)", items, None, dropped)
        items, path, dropped = self.read(str(source), data)
        if not items:
            raise DataError(f"{role} data {source} contains no documents; check the path or the dataset name")
        return self._loaded(role, str(source), items, path, dropped)

    def _loaded(
        self, role: str, source: str, items: list[Any], path: Path | None, dropped: Counter[str]
    ) -> LoadedData[Any]:
        return LoadedData(
            role,
            source,
            items,
            path,
            sha256_of(path) if path is not None and path.exists() else None,
            dropped=dropped,
            count_name=self.count_name,
            count=self.count,
        )

    # -- model --------------------------------------------------------------------------------------------------
    @abstractmethod
    def label_scheme(self, items: Sequence[Any], model: ModelConfig, source: str) -> LabelScheme:
        """The outputs a model trained on ``items`` needs."""

    @abstractmethod
    def build(self, base: str | Path, scheme: LabelScheme, model: ModelConfig, *, seed: int, name: str) -> Any:
        """A fresh torch model of this task from the encoder folder ``base``."""

    @abstractmethod
    def student_scheme(self, teacher: Any, items: Sequence[Any], keeps_teacher_head: bool) -> LabelScheme:
        """The outputs of a student of ``teacher`` trained on ``items`` (gold and teacher-labelled):
        ``keeps_teacher_head`` when it reuses the teacher's head (soft targets, or layers cut from the teacher)."""

    @abstractmethod
    def student_settings(self, teacher: Any, model: ModelConfig, from_teacher: bool) -> ModelConfig:
        """The model config of a student of ``teacher``: what it must share with the teacher (its windowing, its
        label scheme, word shapes when cut from it) overrides what the config says."""

    def prepare_student(self, teacher: Any, student: Any, model: ModelConfig) -> None:  # noqa: B027 (optional hook)
        """Settle what a fresh student takes from its teacher before training (a multi-label threshold)."""

    # -- training -----------------------------------------------------------------------------------------------
    @abstractmethod
    def training_windows(self, model: Any, items: Sequence[Any], config: TrainConfig, role: str) -> Windows:
        """Windows of ``items`` with their gold targets (none for items without annotations)."""

    def initialize_head(self, model: Any, windows: Windows, config: TrainConfig) -> dict[str, Any] | None:
        """Start the head somewhere better than random (a linear probe); returns what was done, or None."""
        return None

    @abstractmethod
    def add_teacher_targets(self, teacher: Any, student: Any, windows: Windows, memo: TargetMemo) -> TeacherTargets:
        """Put the teacher's soft targets on ``windows`` (computed once, before training, chunk by chunk through
        ``memo`` so a resumed run need not compute them again)."""

    @abstractmethod
    def check_soft_teacher(self, teacher: Any, scheme: LabelScheme | None) -> None:
        """Raise when ``teacher`` cannot give soft targets for a student with ``scheme`` (say what to do)."""

    @abstractmethod
    def hard_labels(self, teacher: Any, data: LoadedData[Any]) -> LoadedData[Any]:
        """``data``'s texts labelled by the teacher's predictions (hard-label distillation)."""

    @abstractmethod
    def collate(self, model: Any, windows: Sequence[WindowFeatures]) -> dict[str, Any]:
        """Tensors for one training step: model inputs plus targets."""

    @abstractmethod
    def loss(self, model: Any, batch: dict[str, Any], distillation: DistillationArgs | None) -> Any:
        """The training loss of one batch; with ``distillation``, the teacher term mixed with the gold term."""

    @abstractmethod
    def dev_evaluator(self, dev: LoadedData[Any], model: ModelConfig) -> Callable[[Any], dict[str, float]]:
        """Dev scores for checkpoint selection (``f1`` among them) of a model in eval mode."""

    def finish_training(  # noqa: B027 (an optional hook: most tasks have nothing to settle)
        self, model: Any, evaluations: Sequence[Mapping[str, Any]], best_step: int | None
    ) -> None:
        """Settle what the best checkpoint's dev evaluation chose (a multi-label threshold)."""

    # -- prediction and scoring ---------------------------------------------------------------------------------
    @abstractmethod
    def predict(self, model: Any, texts: Sequence[str]) -> list[Any]:
        """One answer per text: a span list, or a label list."""

    @abstractmethod
    def gold(self, item: Any) -> Any:
        """The gold answer of one item, comparable with :meth:`predict`'s."""

    @abstractmethod
    def score(
        self,
        items: Sequence[Any],
        predictions: Sequence[Any],
        *,
        n_bootstrap: int,
        seed: int,
        confidence: float,
        examples: int,
    ) -> Scored:
        """Scores of ``predictions`` against ``items``' gold answers (bootstrap intervals over texts)."""

    @abstractmethod
    def agreement(self, reference: Sequence[Any], predictions: Sequence[Any]) -> dict[str, float]:
        """How far ``predictions`` agree with ``reference`` (a teacher's answers): P/R/F1 and more."""

    @abstractmethod
    def answer_record(self, model: Any, text: str, answer: Any, scores: Any = None) -> dict[str, Any]:
        """The fields an answer adds to an output record (``spans``; ``labels`` and ``scores``)."""

    @abstractmethod
    def answers_with_scores(self, model: Any, texts: Sequence[str]) -> list[dict[str, Any]]:
        """:meth:`answer_record` fields for every text, from one prediction pass."""

    # -- cascade ------------------------------------------------------------------------------------------------
    confidence_measures: ClassVar[tuple[str, ...]]  # how sure a model is of a text's answer; the first is default

    @abstractmethod
    def answers_with_confidence(
        self, model: Any, texts: Sequence[str], measure: Any
    ) -> tuple[list[Any], list[float], list[dict[str, float]] | None]:
        """Answers, one confidence in [0, 1] per text (by ``measure``), and per-label scores where there are any."""

    @abstractmethod
    def check_fallback(self, primary: Any, fallback: Any) -> None:
        """Raise when ``fallback`` cannot stand in for ``primary`` (another task, other labels)."""

    # -- model card ---------------------------------------------------------------------------------------------
    @abstractmethod
    def card_summary(self, model: Any, base_model: str, layers: Sequence[int] | None) -> str:
        """The card's first paragraph: what the model does, its base, its size."""

    @abstractmethod
    def card_usage(self, model: Any) -> list[str]:
        """Markdown lines after the usage commands: how to use the folder, what it reads."""

    @abstractmethod
    def card_front_matter(self) -> list[str]:
        """YAML front-matter lines (pipeline_tag, tags)."""

    @abstractmethod
    def card_scores(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """Markdown lines of the card's evaluation section for this task's records."""


def task_name_of(model: Any) -> str:
    """The task a model object does: its ``task`` attribute; else classification for anything with
    ``predict_proba`` and ``multi_label`` (a classifier of the user's own), spans for the rest (spaCy pipelines,
    teachers)."""
    name = getattr(model, "task", None)
    if name is None and callable(getattr(model, "predict_proba", None)) and hasattr(model, "multi_label"):
        return "classification"
    return str(name or "ner")


def ci_text(ci: Sequence[float] | None) -> str:
    """`` [low, high]`` to 3 places, or nothing."""
    return f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""
