"""Distillation: a small student learns from a teacher's per-word label distributions (soft) or spans (hard).

Soft labels carry the teacher's uncertainty ("Jordan": 0.6 PER, 0.4 LOC), which teaches more per example than
its argmax, and need no gold data; they need a teacher that exposes probabilities over the same IOB2 label
list as the student, i.e. a specialist. Hard labels work with any ``SpanPredictor`` (a spaCy pipeline with a
label map, a gazetteer, an LLM teacher): its spans become ordinary training documents.

The default student is the teacher itself with layers dropped (DistilBERT-style): it starts from the
teacher's trained embeddings, kept layers and classifier head, so it begins close to the teacher.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch

from specialize.config import TrainConfig
from specialize.data.document import Document
from specialize.data.features import IGNORE_INDEX, WindowFeatures
from specialize.data.labels import describe_drops, label_map_drops
from specialize.data.tagging import OUTSIDE, entity_types, iob2_labels
from specialize.models.base import SpanPredictor
from specialize.models.specialist import Specialist
from specialize.training.args import TrainingArgs
from specialize.training.distill_report import compare_on_splits, measure_throughput, render_report, write_report
from specialize.training.outputs import claim_run_output
from specialize.training.run_data import selected
from specialize.training.run_health import check_training_run, texts_of
from specialize.training.soft_targets import (
    PREDICT_CHUNK,
    DistillationFeatures,
    as_specialist,
    attach_teacher,
    check_soft_labels,
    teacher_word_probabilities,
    unlabelled_features,
)
from specialize.training.train import (
    LoadedData,
    build_specialist,
    check_spans,
    dev_evaluator,
    labelled_features,
    load_data,
    load_eval_data,
    save_run,
    sha256_of,
)
from specialize.training.trainer import DevEvaluator, Trainer, TrainingHistory

logger = logging.getLogger(__name__)


@dataclass
class DistillationArgs:
    # Above 1 softens both distributions, so the teacher's probability mass beyond its argmax carries signal.
    temperature: float = 2.0
    alpha: float = 0.5  # weight of the KD term against gold cross-entropy, where gold labels exist
    soft: bool = True  # False: the teacher's spans become training documents (any SpanPredictor teacher)

    def validate(self) -> None:
        if self.temperature <= 0:
            raise ValueError(f"distillation temperature must be > 0, got {self.temperature}")
        if not 0 <= self.alpha <= 1:
            raise ValueError(f"distillation alpha must be in [0, 1], got {self.alpha}")


@dataclass
class DistillationResult:
    output: Path
    student: Specialist
    teacher: SpanPredictor
    history: TrainingHistory
    evaluation: list[dict[str, Any]]  # the student's records, as in evaluation.json
    records: list[dict[str, Any]]  # teacher and student per split, with "role"; the student's with "agreement"
    throughput: dict[str, Any] | None


# -- losses -----------------------------------------------------------------------------------------------------
def kd_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """KL(teacher_T || student_T) x T², averaged over positions (Hinton et al., 2015).

    ``teacher_probs`` are probabilities at temperature 1: softmax(log p / T) equals softmax(z / T) for the
    teacher's logits z, so they are tempered without the logits. The T² factor keeps the gradient's size
    roughly independent of T (it shrinks as 1/T² otherwise), so alpha means the same at every temperature.
    """
    t = float(temperature)
    teacher_t = torch.softmax(torch.log(teacher_probs.float().clamp_min(1e-12)) / t, dim=-1)
    student_log_t = torch.log_softmax(student_logits.float() / t, dim=-1)
    return torch.nn.functional.kl_div(student_log_t, teacher_t, reduction="batchmean") * (t * t)


def binary_kd_loss(student_logits: torch.Tensor, teacher_probs: torch.Tensor, temperature: float) -> torch.Tensor:
    """Per-label KL(Bernoulli(teacher_T) || Bernoulli(student_T)) x T², averaged over rows and labels: the
    multi-label (sigmoid) counterpart of :func:`kd_loss`, each label an independent yes/no.

    Tempering a Bernoulli is sigmoid(logit(p) / T), from the teacher's probabilities as in ``kd_loss``. Binary
    cross-entropy minus the teacher's entropy is that KL, so the loss is 0 exactly when the student matches.
    """
    t = float(temperature)
    p = teacher_probs.float().clamp(1e-6, 1 - 1e-6)
    teacher_t = torch.sigmoid(torch.log(p / (1 - p)) / t)
    student_t = student_logits.float() / t
    bce = torch.nn.functional.binary_cross_entropy_with_logits(student_t, teacher_t, reduction="none")
    # Written out: F.binary_cross_entropy refuses to run under autocast (bf16 training).
    entropy = -(teacher_t * torch.log(teacher_t) + (1 - teacher_t) * torch.log1p(-teacher_t))
    return (bce - entropy).mean() * (t * t)


def distillation_loss(
    logits: torch.Tensor,
    teacher_probs: torch.Tensor,
    teacher_mask: torch.Tensor,
    labels: torch.Tensor | None,
    args: DistillationArgs,
) -> torch.Tensor:
    """alpha x KD (teacher positions) + (1 - alpha) x CE (gold positions); a batch with only one kind of
    target (e.g. unlabeled text: KD only) uses that term alone at full weight."""
    logits = logits.float()
    kd = kd_loss(logits[teacher_mask], teacher_probs[teacher_mask], args.temperature) if teacher_mask.any() else None
    ce = None
    if labels is not None and (gold := labels != IGNORE_INDEX).any():
        ce = torch.nn.functional.cross_entropy(logits[gold], labels[gold])
    return mix_losses(kd, ce, args.alpha, logits)


def mix_losses(kd: torch.Tensor | None, ce: torch.Tensor | None, alpha: float, logits: torch.Tensor) -> torch.Tensor:
    """alpha x KD + (1 - alpha) x CE when a batch has both kinds of target, else the one it has at full weight."""
    if kd is not None and ce is not None:
        return alpha * kd + (1 - alpha) * ce
    if kd is not None:
        return kd
    if ce is not None:
        return ce
    return logits.sum() * 0.0  # nothing to learn from in this batch (all positions unlabeled and unmapped)


class DistillationTrainer(Trainer):
    """``Trainer`` whose loss mixes KD on the teacher's soft targets with gold cross-entropy."""

    def __init__(
        self,
        specialist: Specialist,
        args: TrainingArgs,
        distillation: DistillationArgs,
        evaluate_dev: DevEvaluator | None = None,
    ):
        super().__init__(specialist, args, evaluate_dev)
        distillation.validate()
        self.distillation = distillation

    def collate(self, features: Sequence[WindowFeatures]) -> dict[str, torch.Tensor]:
        batch = super().collate(features)
        n, width = batch["input_ids"].shape
        probs = np.zeros((n, width, len(self.specialist.label_list)), dtype=np.float32)
        mask = np.zeros((n, width), dtype=bool)
        for i, f in enumerate(features):
            if isinstance(f, DistillationFeatures) and f.teacher_probs is not None and f.teacher_positions:
                probs[i, f.teacher_positions] = f.teacher_probs
                mask[i, f.teacher_positions] = True
        batch["teacher_probs"] = torch.from_numpy(probs)
        batch["teacher_mask"] = torch.from_numpy(mask)
        return batch

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        labels = batch.pop("labels", None)
        teacher_probs, teacher_mask = batch.pop("teacher_probs"), batch.pop("teacher_mask")
        logits = self.specialist.model(**batch).logits
        return distillation_loss(logits, teacher_probs, teacher_mask, labels, self.distillation)


# -- the run ----------------------------------------------------------------------------------------------------
def _resolve_teacher(
    teacher: SpanPredictor | str | Path, label_map: Mapping[str, str] | str | None
) -> tuple[SpanPredictor, Path | None]:
    """The teacher object, and its folder when it is a specialist folder (the student can start from it)."""
    if not isinstance(teacher, str | Path):
        return teacher, None
    from specialize.data.labels import parse_label_map
    from specialize.teachers.spec import load_teacher, split_spec
    from specialize.training.distill_classifier import is_classifier_teacher

    if is_classifier_teacher(teacher):
        raise ValueError(
            f"teacher {teacher!s} is a text classifier: distil it with "
            "specialize.training.distill_classifier.distill_classifier (`specialize distill` picks it by itself)"
        )
    mapping = parse_label_map(label_map) if isinstance(label_map, str) else label_map
    loaded = load_teacher(str(teacher), label_map=mapping)
    if not callable(getattr(loaded, "predict", None)):
        raise ValueError(f"teacher {teacher!s} cannot predict spans, so it cannot be distilled")
    kind, rest = split_spec(str(teacher))
    return cast(SpanPredictor, loaded), Path(rest) if kind == "hf" else None


def load_unlabeled(
    source: Sequence[str] | Sequence[Document] | str | Path | None, text_field: str
) -> LoadedData | None:
    """Texts, documents (spans dropped) or a file ``read_texts`` reads, as documents without spans; None: none."""
    if source is None:
        return None
    if isinstance(source, str | Path):
        from specialize.data.io import read_texts

        path = Path(source)
        docs = read_texts(source, text_field=text_field)
        data = LoadedData("unlabeled", str(source), docs, path, sha256_of(path) if path.exists() else None)
    else:
        docs = [Document(d.text, id=d.id) if isinstance(d, Document) else Document(d) for d in source]
        data = LoadedData("unlabeled", "(texts)", docs)
    if not data.documents:
        raise ValueError(f"unlabeled data {data.source} contains no texts")
    return data


def _teacher_labelled(teacher: SpanPredictor, data: LoadedData) -> LoadedData:
    """The unlabeled texts with the teacher's spans as their labels (overlaps resolved: training needs flat)."""
    from specialize.data.validation import drop_invalid_spans, resolve_overlaps

    docs: list[Document] = []
    dropped = 0
    before = label_map_drops(teacher)
    for i in range(0, len(data.documents), PREDICT_CHUNK):
        chunk = data.documents[i : i + PREDICT_CHUNK]
        for doc, spans in zip(chunk, teacher.predict([d.text for d in chunk]), strict=True):
            labelled, invalid = drop_invalid_spans(Document(doc.text, [*spans], doc.id, doc.meta))
            flat, overlapping = resolve_overlaps(labelled, "keep_longest")
            dropped += len(invalid) + len(overlapping)
            docs.append(flat)
    if dropped:
        logger.warning("dropped %d invalid or overlapping teacher spans", dropped)
    unmapped = label_map_drops(teacher, before)
    notes = [describe_drops(unmapped, "teacher types not in the label map")] if unmapped else []
    if notes:
        logger.warning("teacher %s: %s", teacher.name, notes[0])
    source = f"{data.source} labelled by {teacher.name}"
    return LoadedData("teacher-labelled", source, docs, data.path, data.sha256, notes=notes)


def _student_labels(
    teacher: Specialist | None, reuse_teacher_labels: bool, train_docs: Sequence[Document]
) -> list[str]:
    """The teacher's label list where soft targets or its classifier head are reused, else the data's types."""
    if reuse_teacher_labels and teacher is not None:
        labels = list(teacher.label_list)
    else:
        labels = iob2_labels(s.label for d in train_docs for s in d.spans)
    missing = sorted({s.label for d in train_docs for s in d.spans} - set(entity_types(labels)))
    if missing:
        raise ValueError(
            f"the training data has entity types {missing} that the student, which reuses the teacher's labels "
            f"{entity_types(labels)}, lacks; map them to the teacher's types, or train a fresh student from another "
            "base (--base) with hard labels (--hard)"
        )
    if labels == [OUTSIDE]:
        raise ValueError(
            "nothing to learn: the teacher found no spans in the unlabeled texts and there is no gold data"
        )
    return labels


def _build_student(
    teacher: Specialist | None,
    teacher_folder: Path | None,
    base: str | None,
    labels: list[str],
    config: TrainConfig,
    layers: list[int] | None,
    name: str,
) -> tuple[Specialist, TrainConfig]:
    """The student and the config that describes it. Without a base, the specialist teacher with layers dropped
    (every other one unless ``layers`` says otherwise, as DistilBERT); with one, a fresh encoder from ``base``."""
    if base is None and teacher is not None:
        n_layers = int(teacher.model.config.num_hidden_layers)
        layers = layers or list(range(0, n_layers, 2))
        model_cfg = replace(
            config.model,
            base=str(teacher_folder) if teacher_folder else None,
            layers=layers,
            word_shapes=teacher.settings.word_shapes,  # its token-type rows were trained as shapes (or not)
        )
        with tempfile.TemporaryDirectory() as tmp:
            folder = teacher_folder
            if folder is None:  # an in-memory teacher: write the weights where from_pretrained can read them
                folder = Path(tmp)
                teacher.model.save_pretrained(folder)
                teacher.hf_tokenizer.save_pretrained(folder)
            # Same label list as the folder's config: from_pretrained loads the trained head, not a fresh one.
            student = build_specialist(folder, labels, model_cfg, seed=config.training.seed, name=name)
    else:
        from specialize.models.token_classifier import default_base_model

        model_cfg = replace(config.model, base=base, layers=layers)
        student = build_specialist(
            base or default_base_model(), labels, model_cfg, seed=config.training.seed, name=name
        )
    return student, replace(config, model=model_cfg)


def _describe(teacher: SpanPredictor, args: DistillationArgs, config: TrainConfig, from_teacher: bool) -> str:
    if args.soft:
        how = (
            f"soft labels: KL divergence to the teacher's per-word label distributions at temperature "
            f"{args.temperature:g} (weight {args.alpha:g}) plus cross-entropy on gold labels (weight "
            f"{1 - args.alpha:g}) where there are any; unlabeled text is learned from the teacher alone"
        )
    else:
        how = "hard labels: the teacher's spans on the unlabeled texts were training labels, next to any gold data"
    start = describe_start(config, from_teacher, "embeddings, word-shape rows and classifier head")
    return f"Distilled from the teacher `{teacher.name}` ({type(teacher).__name__}) with {how}. {start}"


def describe_start(config: TrainConfig, from_teacher: bool, kept: str) -> str:
    """A sentence on where the student started: ``kept`` names what it keeps of the teacher it was cut from."""
    start = (
        f"layers {config.model.layers} of the teacher, keeping its {kept}"
        if from_teacher
        else f"the encoder `{config.model.base or 'all-MiniLM-L6-v2'}` (layers {config.model.layers or 'all'})"
    )
    if config.model.intermediate_size is not None:
        start += f", every feed-forward block pruned to its {config.model.intermediate_size} most important neurons"
    return f"The student started from {start}."


def distill(
    teacher: SpanPredictor | str | Path,
    config: TrainConfig,
    output: str | Path,
    *,
    unlabeled: Sequence[str] | Sequence[Document] | str | Path | None = None,
    text_field: str = "text",
    gold: Sequence[Document] | str | Path | None = None,
    dev: Sequence[Document] | None = None,
    test: Sequence[Document] | None = None,
    args: DistillationArgs | None = None,
    student_layers: Sequence[int] | None = None,
    student_base: str | Path | None = None,
    label_map: Mapping[str, str] | str | None = None,
    n_bootstrap: int = 1000,
    throughput_repeats: int = 3,
    overwrite: bool = False,
) -> DistillationResult:
    """Train a small student on what ``teacher`` predicts, compare the two, and save the student in ``output``.

    ``teacher``: a predictor object or a spec for ``specialize.teachers.load_teacher`` (a specialist folder or
    ``hf:PATH``, ``spacy:NAME`` with ``label_map``, ``gazetteer:FILE``, ``regex:FILE``, ``vote:A+B``).
    ``unlabeled``: texts, documents (their spans ignored) or a file read by ``read_texts`` (``text_field``
    names the JSONL field or CSV column); ``gold``, ``dev`` and ``test``: documents, or else the
    ``config.data`` paths. ``student_base``/``student_layers`` default to ``config.model.base``/``layers``;
    with no base the student is the specialist teacher with layers dropped. ``throughput_repeats=0`` skips
    the speed measurement.
    """
    args = args or DistillationArgs()
    args.validate()
    output = Path(output)
    claim = claim_run_output(output, "distill", config, teacher, unlabeled, gold, student_base, overwrite=overwrite)
    if config.training.threads:
        torch.set_num_threads(config.training.threads)
    teacher, teacher_folder = _resolve_teacher(teacher, label_map)
    teacher_specialist = check_soft_labels(teacher) if args.soft else as_specialist(teacher)  # fails before I/O
    gold_source = gold if gold is not None else config.data.train
    gold_data = None
    if gold_source is not None:
        gold_data = load_data("train", gold_source, config.data.format, config.data.label_map, config.data.labels)
        gold_data = selected(gold_data, config)
    unlabeled_data = load_unlabeled(unlabeled, text_field)
    if gold_data is None and unlabeled_data is None:
        raise ValueError("nothing to distil on: pass unlabeled texts (--unlabeled) and/or gold data (--train)")
    dev_data, test_data = load_eval_data(config, dev, test)
    for data in (gold_data, dev_data, test_data):
        if data is not None:
            check_spans(data)
    hard_data = _teacher_labelled(teacher, unlabeled_data) if unlabeled_data and not args.soft else None
    train_docs = [*(gold_data.documents if gold_data else []), *(hard_data.documents if hard_data else [])]

    base = student_base or config.model.base
    from_teacher = base is None and teacher_specialist is not None
    labels = _student_labels(teacher_specialist, args.soft or from_teacher, train_docs)
    layers = list(student_layers) if student_layers is not None else config.model.layers
    student, config = _build_student(
        teacher_specialist, teacher_folder, str(base) if base else None, labels, config, layers, output.name
    )

    evaluator = dev_evaluator(dev_data) if dev_data else None
    if dev_data is None:
        logger.warning("no dev data: training all %d epochs and keeping the last weights", config.training.epochs)
    alignment = "no gold spans"
    if args.soft:
        features: list[WindowFeatures] = []
        if gold_data is not None:
            docs, gold_features, aligned = labelled_features(student, gold_data.documents, "gold")
            features += attach_teacher(gold_features, docs, teacher_word_probabilities(teacher, student, docs))
            alignment = aligned.summary()
        if unlabeled_data is not None:
            docs, plain = unlabelled_features(student, [d.text for d in unlabeled_data.documents])
            features += attach_teacher(plain, docs, teacher_word_probabilities(teacher, student, docs))
        history = DistillationTrainer(student, config.training, args, evaluator).train(features)
    else:
        _, features, aligned = labelled_features(student, train_docs, "teacher-labelled and gold")
        alignment = aligned.summary()
        history = Trainer(student, config.training, evaluator).train(features)

    probe = texts_of(train_docs or (unlabeled_data.documents if unlabeled_data else []))
    check_training_run(student, history, config.training, windows=len(features), train_texts=probe)
    # A specialist teacher is compared unwrapped: the same code path as the student, so only the models differ.
    compared = teacher_specialist or teacher
    records = compare_on_splits(compared, student, [d for d in (dev_data, test_data) if d is not None], n_bootstrap)
    speed_data = next(d for d in (test_data, dev_data, gold_data, unlabeled_data) if d is not None)
    throughput = None
    if throughput_repeats:
        texts = [d.text for d in speed_data.documents]
        threads = torch.get_num_threads()
        throughput = measure_throughput([compared, student], texts, repeats=throughput_repeats, threads=threads)
    report_md = render_report(records, throughput, speed_data.role)
    summary = _describe(teacher, args, config, from_teacher)
    info = {**asdict(args), "teacher": teacher.name, "teacher_type": type(teacher).__name__}
    evaluation = [r for r in records if r["role"] == "student"]
    config_dict = {**config.to_dict(), "distillation": info}
    with claim.writing() as folder:
        write_report(folder, info, records, throughput, f"{summary}\n\n{report_md}")
        save_run(
            student,
            folder,
            config=config_dict,
            base_model=str(config.model.base or teacher.name),
            layers=config.model.layers,
            data=[d for d in (gold_data, hard_data or unlabeled_data, dev_data, test_data) if d is not None],
            records=evaluation,
            history=history,
            alignment=alignment,
            extra_config={"training": config_dict, "base_model": str(config.model.base or teacher.name)},
            distillation=f"{summary}\n\n{report_md}",
        )
    return DistillationResult(output, student, teacher, history, evaluation, records, throughput)
