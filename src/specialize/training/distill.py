"""Distillation, for every task: a small student learns from a teacher's soft labels (its probability
distributions) or hard labels (its answers), on gold and/or unlabeled text; then both are compared side by side.

Soft labels carry the teacher's uncertainty ("Jordan": 0.6 PER, 0.4 LOC), which teaches more per example than
its argmax, and need no gold data; they need a teacher that exposes probabilities over the student's labels: a
specialist or an export of one (per-word tag distributions), a text classifier (label probabilities). Hard labels
work with any teacher: a spaCy pipeline with a label map, a gazetteer, an LLM. Where the targets sit and what the
loss is are the task's (:mod:`specialize.tasks`); the loop is :class:`~specialize.training.trainer.DistillationTrainer`.

The default student is the teacher itself with layers dropped (DistilBERT-style): it starts from the teacher's
trained embeddings, kept layers and head, so it begins close to the teacher; ``student_base`` (``--base``) starts
a fresh encoder instead (e.g. the small MiniLM-L6 under a 110M MPNet teacher).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from specialize.config import CommandConfig, TrainConfig, write_run_config
from specialize.data.labels import describe_drops, label_map_drops
from specialize.data.model_folder import FolderKind, read_model_folder
from specialize.errors import ConfigError, DataError
from specialize.tasks.base import UNLABELED, LabelScheme, Task, TeacherTargets, Windows
from specialize.tasks.registry import task_of
from specialize.training.args import DistillationArgs
from specialize.training.checkpoint import TrainingCheckpoint
from specialize.training.distill_report import compare_on_splits, measure_throughput, render_report, write_report
from specialize.training.outputs import claim_run_output
from specialize.training.run import DEFAULT_BASE_NAME, load_run_data, resolve_base, save_run, with_corrections
from specialize.training.run_data import load_unlabeled, selected
from specialize.training.run_health import check_training_run, texts_of
from specialize.training.targets import TargetStore
from specialize.training.trainer import DistillationTrainer, TrainingHistory
from specialize.utils.device import place_predictor

logger = logging.getLogger(__name__)

__all__ = ["DistillationArgs", "DistillationResult", "distill"]


@dataclass
class DistillationResult:
    output: Path
    student: Any
    teacher: Any
    history: TrainingHistory
    evaluation: list[dict[str, Any]]  # the student's records, as in evaluation.json
    records: list[dict[str, Any]]  # teacher and student per split, with "role"; the student's with "agreement"
    throughput: dict[str, Any] | None
    targets: TeacherTargets


def resolve_teacher(teacher: Any, label_map: Mapping[str, str] | str | None) -> tuple[Any, Path | None]:
    """The teacher model, and its folder when it is a torch folder the student can be cut from."""
    if not isinstance(teacher, str | Path):
        return teacher, None
    from specialize.data.labels import parse_label_map
    from specialize.models.resolve import ModelSpec, load_model

    mapping = parse_label_map(label_map) if isinstance(label_map, str) else label_map
    spec = ModelSpec.parse(teacher)
    if spec.kind == "folder" and mapping is not None:
        raise ConfigError(
            "--label-map renames a spaCy or rule teacher's labels; a model folder's labels are its own: drop it"
        )
    model = load_model(teacher, label_map=mapping)
    if not callable(getattr(model, "predict", None)):
        raise ConfigError(f"teacher {teacher!s} cannot predict, so it cannot be distilled")
    folder = None
    if spec.kind == "folder" and read_model_folder(spec.location).kind is FolderKind.TRANSFORMERS:
        folder = Path(spec.location)
    return model, folder


def build_student(
    task: Task,
    teacher: Any,
    teacher_folder: Path | None,
    base: str | None,
    scheme: LabelScheme,
    config: TrainConfig,
    layers: list[int] | None,
    name: str,
) -> tuple[Any, TrainConfig, bool]:
    """The student, the config that describes it, and whether it was cut from the teacher. Without a base, a
    torch teacher with layers dropped (every other one unless ``layers`` says otherwise, as DistilBERT); with one,
    a fresh encoder from ``base``."""
    network = getattr(teacher, "model", None)
    from_teacher = (base is None and teacher_folder is not None) or (base is None and _is_torch_encoder(teacher))
    if from_teacher:
        n_layers = int(network.config.num_hidden_layers)  # type: ignore[union-attr]
        model_cfg = replace(
            task.student_settings(teacher, config.model, from_teacher=True),
            base=str(teacher_folder) if teacher_folder else None,
            layers=layers or list(range(0, n_layers, 2)),
        )
        with tempfile.TemporaryDirectory() as tmp:
            folder = teacher_folder
            if folder is None:  # an in-memory teacher: write the weights where from_pretrained can read them
                folder = Path(tmp)
                network.save_pretrained(folder)  # type: ignore[union-attr]
                teacher.hf_tokenizer.save_pretrained(folder)
            # Same label list as the folder's config: from_pretrained loads the trained head, not a fresh one.
            student = task.build(folder, scheme, model_cfg, seed=config.training.seed, name=name)
    else:
        model_cfg = replace(task.student_settings(teacher, config.model, from_teacher=False), base=base, layers=layers)
        student = task.build(resolve_base(base), scheme, model_cfg, seed=config.training.seed, name=name)
    task.prepare_student(teacher, student, model_cfg)
    return student, replace(config, model=model_cfg), from_teacher


def _is_torch_encoder(model: Any) -> bool:
    network = getattr(model, "model", None)
    return (
        network is not None and hasattr(network, "save_pretrained") and getattr(model, "hf_tokenizer", None) is not None
    )


def describe(
    teacher: Any, task: Task, args: DistillationArgs, config: TrainConfig, from_teacher: bool, targets: TeacherTargets
) -> str:
    """Markdown on the teacher and how its knowledge was transferred, for the card and distillation.md."""
    if args.soft:
        how = (
            f"soft labels: {targets.loss} to {targets.where} at temperature {args.temperature:g} (weight "
            f"{args.alpha:g}) plus cross-entropy on gold labels (weight {1 - args.alpha:g}) where there are any; "
            "unlabeled text is learned from the teacher alone"
        )
    else:
        how = "hard labels: the teacher's answers on the unlabeled texts were training labels, next to any gold data"
    if from_teacher:
        start = f"layers {config.model.layers} of the teacher, keeping its embeddings and head"
    else:
        start = f"the encoder `{config.model.base or 'all-MiniLM-L6-v2'}` (layers {config.model.layers or 'all'})"
    if config.model.intermediate_size is not None:
        start += f", every feed-forward block pruned to its {config.model.intermediate_size} most important neurons"
    return (
        f"Distilled from the teacher `{teacher.name}` ({type(teacher).__name__}) with {how}. "
        f"The student started from {start}."
    )


def distill(
    teacher: Any,
    config: TrainConfig,
    output: str | Path,
    *,
    unlabeled: Sequence[Any] | str | Path | None = None,
    text_field: str = "text",
    gold: Sequence[Any] | str | Path | None = None,
    dev: Sequence[Any] | str | Path | None = None,
    test: Sequence[Any] | str | Path | None = None,
    args: DistillationArgs | None = None,
    teacher_targets: str | Path | None = None,
    student_layers: Sequence[int] | None = None,
    student_base: str | Path | None = None,
    label_map: Mapping[str, str] | str | None = None,
    n_bootstrap: int = 1000,
    throughput_repeats: int = 3,
    overwrite: bool = False,
    resume: bool = False,
    saved_config: CommandConfig | None = None,
) -> DistillationResult:
    """Train a small student on what ``teacher`` predicts, compare the two, and save the student in ``output``.

    ``teacher``: a model object or any spec :func:`specialize.models.resolve.load_model` takes (a specialist or
    text classifier folder, an export, ``spacy:NAME`` with ``label_map``, ``gazetteer:FILE``, ``llm:MODEL``,
    ``vote:A+B``); its task (spans or classification) is the run's. ``unlabeled``: texts, items, a file read like
    ``predict``'s input, or a dataset name; ``gold``, ``dev`` and ``test``: items, files or dataset names, else
    the ``config.data`` ones. ``student_base``/``student_layers`` default to ``config.model.base``/``layers``;
    with no base the student is a torch teacher with layers dropped. ``throughput_repeats=0`` skips the speed
    measurement. ``teacher_targets``: a folder (:class:`~specialize.training.targets.TargetStore`) keeping the
    teacher's soft targets across runs, for a teacher model folder. ``saved_config``: the command's resolved config
    (a DistillConfig), saved in ``output`` as ``specialize_config.toml`` so ``specialize distill --config`` runs it
    again.
    """
    import torch

    args = args or DistillationArgs()
    args.validate()
    output = Path(output)
    claim = claim_run_output(
        output, "distill", config, teacher, unlabeled, gold, dev, test, student_base, overwrite=overwrite
    )
    # A resumed run needs the same teacher and settings; the teacher's targets are computed again on resume.
    settings = {**config.to_dict(), "teacher": str(teacher), "distillation": asdict(args)}
    checkpoint = TrainingCheckpoint.claim(output, settings, config.training.checkpoint_minutes, resume=resume)
    if config.training.threads:
        torch.set_num_threads(config.training.threads)
    teacher_model, teacher_folder = resolve_teacher(teacher, label_map)
    place_predictor(teacher_model, config.training.device, strict=False)  # it labels on the training device too
    task = task_of(teacher_model)
    if config.model.task != task.name and config.model.task != "ner":
        raise ConfigError(f"model.task = {config.model.task!r} but the teacher is a {task.what}; drop model.task")
    config = replace(config, model=replace(config.model, task=task.name))
    if args.soft:
        task.check_soft_teacher(teacher_model, None)  # fails before any data is read
    data = load_run_data(task, config, train=gold, dev=dev, test=test, require_train=False)
    data.train = selected(data.train, config) if data.train is not None else None  # data.limit / data.sample
    data.unlabeled = load_unlabeled(task, unlabeled, text_field)
    if config.data.corrections:  # what a person corrected is gold now: no teacher labels it
        _, data.unlabeled = with_corrections(task, None, config, data.unlabeled)
    if data.train is None and data.unlabeled is None:
        raise DataError("nothing to distil on: pass unlabeled texts (--unlabeled) and/or gold data (--train)")
    hard = None
    if data.unlabeled is not None and not args.soft:
        before = label_map_drops(teacher_model)
        hard = task.hard_labels(teacher_model, data.unlabeled)
        unmapped = label_map_drops(teacher_model, before)  # teacher spans its label map did not cover
        if unmapped:
            note = describe_drops(unmapped, "teacher types not in the label map")
            logger.warning("teacher %s: %s", teacher_model.name, note)
            hard.notes = [*hard.notes, note]
    train_items = [*(data.train.items if data.train else []), *(hard.items if hard else [])]

    base = str(student_base or config.model.base) if (student_base or config.model.base) else None
    keeps_head = args.soft or (base is None and (teacher_folder is not None or _is_torch_encoder(teacher_model)))
    scheme = task.student_scheme(teacher_model, train_items, keeps_head)
    layers = list(student_layers) if student_layers is not None else config.model.layers
    student, config, from_teacher = build_student(
        task, teacher_model, teacher_folder, base, scheme, config, layers, output.name
    )

    evaluate_dev = task.dev_evaluator(data.dev, config.model) if data.dev is not None else None
    if data.dev is None:
        logger.warning("no dev data: training all %d epochs and keeping the last weights", config.training.epochs)
    store = None
    if teacher_targets and args.soft:
        # A model folder is named by its files; a teacher made of folders (mean:A+B) gives its own fingerprint.
        made_of_folders = getattr(teacher_model, "fingerprint", None) if teacher_folder is None else None
        store = TargetStore.open(teacher_targets, teacher_folder, made_of_folders)
    trainer = DistillationTrainer(
        teacher_model, student, task, config.training, args, evaluate_dev, checkpoint, store.remember if store else None
    )
    groups: list[Windows] = []
    if args.soft:
        if data.train is not None:
            groups.append(task.training_windows(student, data.train.items, config, "gold"))
        if data.unlabeled is not None:
            groups.append(task.training_windows(student, data.unlabeled.items, config, UNLABELED))
    else:
        groups.append(task.training_windows(student, train_items, config, "teacher-labelled and gold"))
    targets = TeacherTargets("hard")
    for group in groups:
        targets = trainer.prepare(group)
    history = trainer.train([w for group in groups for w in group.windows])
    task.finish_training(student, history.evaluations, history.best_step)
    probe = texts_of(train_items or (data.unlabeled.items if data.unlabeled else []))
    windows = sum(len(group.windows) for group in groups)
    check_training_run(student, history, config.training, windows=windows, train_texts=probe, unit=task.count_name[:-1])

    records = compare_on_splits(teacher_model, student, data.evaluation_splits(), task, n_bootstrap)
    speed_data = next(d for d in (data.test, data.dev, data.train, data.unlabeled) if d is not None)
    throughput = None
    if throughput_repeats:
        throughput = measure_throughput(
            [teacher_model, student], speed_data.texts, repeats=throughput_repeats, threads=torch.get_num_threads()
        )
    report_md = render_report(records, throughput, speed_data.role)
    summary = describe(teacher_model, task, args, config, from_teacher, targets)
    info = {
        **asdict(args),
        "teacher": teacher_model.name,
        "teacher_type": type(teacher_model).__name__,
        "targets": targets.details.get("targets", targets.kind),
    }
    evaluation = [r for r in records if r.get("role") == "student"]
    config_dict = {**config.to_dict(), "distillation": info}
    base_model = (
        f"layers {config.model.layers} of the teacher `{teacher_model.name}`"
        if from_teacher
        else str(config.model.base or DEFAULT_BASE_NAME)
    )
    notes = [g.note for g in groups if g.note and g.note != "no gold spans"]
    available = [g.available for g in groups if g.available is not None]
    training_extra: dict[str, Any] = {}
    if available:
        training_extra["windows"] = {"available": sum(available), "used": sum(len(g.windows) for g in groups)}
    with claim.writing() as folder:
        write_report(folder, info, records, throughput, f"{summary}\n\n{report_md}")
        save_run(
            student,
            task,
            folder,
            config=config_dict,
            base_model=base_model,
            layers=config.model.layers,
            data=[d for d in (data.train, hard or data.unlabeled, data.dev, data.test) if d is not None],
            records=evaluation,
            history=history,
            extra_config={"training": config_dict, "base_model": base_model},
            note="; ".join(notes) or None,
            training_extra=training_extra,
            distillation=f"{summary}\n\n{report_md}",
        )
        write_run_config(folder, saved_config, output)
    if checkpoint is not None:
        checkpoint.remove()
    return DistillationResult(output, student, teacher_model, history, evaluation, records, throughput, targets)
