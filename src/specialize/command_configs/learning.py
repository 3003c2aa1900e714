"""The configs of the commands that build a model: ``bases``, ``distill``, ``train-static``, ``export`` and
``train-linker`` (``train``'s is :class:`specialize.config.TrainConfig`)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar

from specialize.command_configs._common import _at_least, _one_of, _required
from specialize.config import CommandConfig, TrainConfig
from specialize.data.loading import names_a_source
from specialize.models.bases import BASES
from specialize.training.args import AdaptArgs, DistillationArgs, StaticArgs, TrainingArgs, static_training_args

# --------------------------------------------------------------------------------------------------------- bases

BASES_ACTIONS = ("list", "prepare")


@dataclass
class BasesSection:
    """``[bases]``: list the known encoder bases, or prepare one for offline use."""

    action: str = "list"  # list: every known base with its state; prepare: assemble `name` into the cache
    name: str | None = None  # the base to prepare, e.g. mpnet

    def validate(self) -> None:
        _one_of("bases", "action", self.action, BASES_ACTIONS)
        if self.action == "prepare" and not self.name:
            raise ValueError(
                f"bases.name is required to prepare a base: specialize bases prepare NAME ({', '.join(BASES)}), or "
                "set name in the [bases] table"
            )
        if self.action == "list" and self.name:
            raise ValueError(
                f"'specialize bases list' takes no name; to prepare one: specialize bases prepare {self.name}"
            )


@dataclass
class BasesConfig(CommandConfig):
    """``specialize bases``. It saves no config: ``list`` writes nothing and ``prepare`` writes into the shared
    cache of bases (which ``train --base`` fills too), not a folder of its own; ``--print-config`` shows it."""

    COMMAND: ClassVar[str] = "bases"
    OUTPUT: ClassVar[str | None] = None

    bases: BasesSection = field(default_factory=BasesSection)


# ---------------------------------------------------------------------------------------------------- evaluation


@dataclass
class EvaluationSection:
    """``[evaluation]``: how the scores of the saved model are measured."""

    bootstrap: int = 1000  # bootstrap samples for the 95% intervals of the scores (0 = no intervals)

    def validate(self) -> None:
        _at_least("evaluation", 0, bootstrap=self.bootstrap)


@dataclass
class SpeedEvaluationSection(EvaluationSection):
    """``[evaluation]`` of distill: the scores, and the teacher-vs-student speed comparison."""

    speed_repeats: int = 3  # timed passes per model for the speed comparison (0 = no speed comparison)

    def validate(self) -> None:
        super().validate()
        _at_least("evaluation", 0, speed_repeats=self.speed_repeats)


def _sources(key: str, value: str | list[str] | None) -> None:
    """Each entry of a list of text sources names one: a listed entry that is neither a file or folder here nor a
    dataset name would be read as a text itself, not as a place to read texts from."""
    for i, entry in enumerate(value if isinstance(value, list) else []):
        if not names_a_source(entry):
            raise ValueError(
                f"{key}[{i}] = {entry!r} is no file or folder here and not a dataset name (name:split, e.g. "
                "bc2gm:train); fix the path or the name"
            )


# ------------------------------------------------------------------------------------------------------- distill


@dataclass
class TeacherSection(DistillationArgs):
    """A ``[distillation]`` table: a required teacher and how the student learns from it."""

    teacher: str | None = None

    def validate(self) -> None:
        super().validate()
        _required("distillation", "teacher", self.teacher, "--teacher")

    def args(self) -> DistillationArgs:
        """The training part alone, as the distillation trainer takes it."""
        return DistillationArgs(**{f.name: getattr(self, f.name) for f in fields(DistillationArgs)})


@dataclass
class LabellingTeacherSection(TeacherSection):
    """A ``[distillation]`` table whose teacher also labels unlabeled texts for the student to learn from."""

    # How a config of this command turns soft labels on: the fix the messages below name.
    SOFT_FIX: ClassVar[str] = "set soft = true"

    # Unlabeled texts the teacher labels: .txt (one per line), .jsonl/.json, .csv, a folder, a dataset name, or a
    # list of these (e.g. ["bc2gm:train", "anatem:train"]).
    unlabeled: str | list[str] | None = None
    text_field: str = "text"  # field/column holding the text in JSONL or CSV input
    # A folder keeping the teacher's soft targets across runs, so students distilled from one teacher on the same
    # text (other sizes, learning rates, seeds) have it label that text once; None: a run keeps them only while it
    # is resumable (.NAME.targets).
    teacher_targets: str | None = None

    def validate(self) -> None:
        super().validate()
        _sources("distillation.unlabeled", self.unlabeled)
        if self.teacher_targets and not self.soft:
            # Hard labels are not soft targets: the store would be opened for nothing and the user would believe
            # the teacher's work is kept.
            raise ValueError(
                "distillation.teacher_targets keeps a teacher's soft targets, but soft = false trains without them: "
                f"drop --teacher-targets or {self.SOFT_FIX}"
            )


@dataclass
class DistillationSection(LabellingTeacherSection):
    """``[distillation]`` of distill: the teacher, what it labels, and how the student learns from it."""

    SOFT_FIX: ClassVar[str] = "--hard (soft = false)"

    # A folder written by train (or hf:PATH), spacy:NAME, gazetteer:FILE, regex:FILE, llm:MODEL, vote:A+B.
    teacher: str | None = None
    # Rename a span teacher's labels, e.g. "PERSON=PER,GPE=LOC" or a preset ("conll"); not for classifiers.
    label_map: str | None = None


@dataclass
class DistillConfig(TrainConfig):
    """``specialize distill``: train's ``[data]``, ``[model]`` and ``[training]`` (the student's), plus the
    teacher and the comparison. ``model.task`` is the teacher's (detected when the config is resolved)."""

    COMMAND: ClassVar[str] = "distill"

    distillation: DistillationSection = field(default_factory=DistillationSection)
    evaluation: SpeedEvaluationSection = field(default_factory=SpeedEvaluationSection)

    def train_config(self) -> TrainConfig:
        """The student's training config (the sections ``train`` has)."""
        return TrainConfig(data=self.data, model=self.model, training=self.training)


# --------------------------------------------------------------------------------------------------------- adapt


@dataclass
class AdaptSection(AdaptArgs):
    """``[adapt]``: the base, the in-domain texts and how masked-LM training goes on. The adapted encoder is the
    run's ``--output``."""

    base: str | None = None  # a known base (minilm, mpnet) or an encoder folder; None: the default (minilm)
    # Unlabeled in-domain texts: .txt (one per line), .jsonl/.json, .csv, a folder, a dataset name (its labels
    # dropped), or a list of these (e.g. ["bc2gm:train", "anatem:train"]).
    texts: str | list[str] | None = None
    text_field: str = "text"  # field/column holding the text in JSONL or CSV input

    def validate(self) -> None:
        super().validate()
        _required("adapt", "texts", self.texts, "--text")
        _sources("adapt.texts", self.texts)

    def args(self) -> AdaptArgs:
        """The training part alone."""
        return AdaptArgs(**{f.name: getattr(self, f.name) for f in fields(AdaptArgs)})


@dataclass
class AdaptConfig(CommandConfig):
    """``specialize adapt``; saved as ``specialize_config.toml`` in the adapted encoder's folder."""

    COMMAND: ClassVar[str] = "adapt"

    adapt: AdaptSection = field(default_factory=AdaptSection)


# -------------------------------------------------------------------------------------------------- train-static


@dataclass
class StaticDataSection:
    """``[data]`` of train-static: gold data (paths or dataset names)."""

    train: str | None = None  # required: the student learns from gold labels (and, with soft, the teacher)
    dev: str | None = None  # picks the best epoch
    test: str | None = None  # scored once after training; the scores go into the model card
    format: str | None = None  # file format when it cannot be detected: conll, jsonl, brat, pubtator

    def validate(self) -> None:
        _required("data", "train", self.train, "--train")


@dataclass
class StaticDistillationSection(LabellingTeacherSection):
    """``[distillation]`` of train-static: the teacher gives the token vectors; with ``soft`` also its per-word
    label distributions (at ``temperature``, weight ``alpha``), which needs a specialist teacher, on the gold
    texts and on any ``unlabeled`` ones."""

    SOFT_FIX: ClassVar[str] = "add --soft (soft = true, a specialist teacher)"

    teacher: str | None = None  # a folder written by train, or any encoder folder
    soft: bool = False

    def validate(self) -> None:
        super().validate()
        if self.unlabeled and not self.soft:
            # Without soft labels the student learns from gold alone: the texts would be read and never taught.
            raise ValueError(
                f"distillation.unlabeled is learned from the teacher's soft labels, but soft = false: drop "
                f"--unlabeled or {self.SOFT_FIX}"
            )


@dataclass
class TrainStaticConfig(CommandConfig):
    """``specialize train-static``: a static-embedding student. ``[training]`` starts from the static defaults
    (see :func:`specialize.training.args.static_training_args`), not train's."""

    COMMAND: ClassVar[str] = "train-static"

    data: StaticDataSection = field(default_factory=StaticDataSection)
    distillation: StaticDistillationSection = field(default_factory=StaticDistillationSection)
    static: StaticArgs = field(default_factory=StaticArgs)
    training: TrainingArgs = field(default_factory=static_training_args)
    evaluation: EvaluationSection = field(default_factory=EvaluationSection)


# -------------------------------------------------------------------------------------------------------- export


@dataclass
class ExportSection:
    """``[export]``: the source model, the ONNX options and the accuracy check that guards the export."""

    model: str | None = None  # a folder written by train (any task)
    int8: bool = False  # quantize MatMul weights to int8 (dynamic quantization)
    check: str | None = None  # gold data (path or dataset name) the export is compared with its source on
    max_f1_drop: float = 0.5  # largest allowed micro F1 drop, in points
    max_recall_drop: float = 1.0  # largest allowed recall drop of any entity type (any label), in points
    opset: int = 17  # ONNX opset version

    def validate(self) -> None:
        _required("export", "model", self.model, "MODEL")
        _at_least("export", 7, opset=self.opset)  # torch.onnx writes opset 7 and later


@dataclass
class ExportConfig(CommandConfig):
    """``specialize export``."""

    COMMAND: ClassVar[str] = "export"

    export: ExportSection = field(default_factory=ExportSection)


# -------------------------------------------------------------------------------------------------- train-linker

# The values of specialize.linking.linker.LinkMethod and SimilarityTarget (that module needs numpy).
LINK_METHODS = ("dictionary", "similarity", "combined")
LINK_TARGETS = ("mention", "centroid")


@dataclass
class TrainLinkerSection:
    """``[train_linker]``: the training documents, the encoder and how mentions are linked. The linker folder is
    the run's ``--output``."""

    train: str | None = None  # training documents whose spans carry concept ids: file, folder or dataset name
    format: str | None = None  # input format when it cannot be detected
    # Encoder or specialist folder for similarity ("default": all-MiniLM-L6-v2); none: dictionary only.
    encoder: str | None = "default"
    method: str = "combined"  # dictionary, similarity or combined (dictionary first, then similarity)
    target: str = "mention"  # similarity to the nearest training string (mention) or concept centroid
    match_label: bool = False  # link only to concepts seen with the mention's label
    min_similarity: float = 0.0  # leave mentions less similar than this unlinked
    threads: int | None = None  # torch threads for the encoder; None (or 0) = torch's choice

    def validate(self) -> None:
        _required("train_linker", "train", self.train, "--train")
        _one_of("train_linker", "method", self.method, LINK_METHODS)
        _one_of("train_linker", "target", self.target, LINK_TARGETS)
        _at_least("train_linker", 0, threads=self.threads)


@dataclass
class TrainLinkerConfig(CommandConfig):
    """``specialize train-linker``; saved as ``specialize_config.toml`` in the linker folder."""

    COMMAND: ClassVar[str] = "train-linker"

    train_linker: TrainLinkerSection = field(default_factory=TrainLinkerSection)
