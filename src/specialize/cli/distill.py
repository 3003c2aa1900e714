"""``specialize distill``: train a small student on what a teacher predicts, and compare the two."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from specialize.cli.common import add_overwrite_option, score_with_ci
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config
from specialize.config import CONFIG_FILE, TaskName
from specialize.errors import ConfigError

if TYPE_CHECKING:
    from specialize.command_configs import DistillConfig

HELP = (
    "distil a teacher (a specialist or text classifier folder, spacy:NAME, a gazetteer...) into a smaller, "
    "faster student"
)


def add_parser(subparsers: Any) -> None:
    from specialize.cli.train import add_resume_option, add_training_options
    from specialize.command_configs import DistillConfig

    p = subparsers.add_parser(
        "distill",
        help=HELP,
        description=HELP + ". Soft labels (default) train on the teacher's per-word label distributions and "
        "need a specialist teacher; --hard trains on the teacher's spans and works with any teacher. Without "
        "--base the student is the teacher with layers dropped. A text classifier teacher (a folder written by "
        "'specialize train --task classification') trains a student classifier on its label probabilities; "
        "--train, --dev and --test are then labelled texts. Writes the student folder with its model card, "
        "evaluation.json, a teacher-vs-student report (distillation.json / distillation.md) and the resolved "
        f"config ({CONFIG_FILE}). Options override the --config file.",
    )
    flags = ConfigFlags(p, DistillConfig, example="training.warmup_ratio=0")
    flags.add(
        p,
        "distillation.teacher",
        "--teacher",
        help="a folder written by 'specialize train' (or hf:PATH; a span specialist or a text classifier), "
        "spacy:NAME, gazetteer:FILE, regex:FILE, vote:SPEC+SPEC (required, here or in the config)",
    )
    p.add_argument(
        "--task",
        choices=[t.value for t in TaskName],
        help="what the teacher does (default: detected from the teacher; classification for a classifier folder)",
    )
    flags.add(
        p,
        "distillation.label_map",
        "--label-map",
        help="rename a span teacher's labels, e.g. PERSON=PER,GPE=LOC or a preset: conll (not for classifiers)",
    )
    flags.add_unlabeled_texts(p, "unlabeled texts")
    flags.add(
        p,
        "data.train",
        "--train",
        action="append",
        help="gold training data (path or dataset name), learned next to the teacher; repeatable",
    )
    flags.add(p, "data.dev", "--dev", help="dev data: picks the best checkpoint; both models are scored on it")
    flags.add(p, "data.test", "--test", help="test data: both models are scored on it and timed on its texts")
    flags.add(p, "data.format", "--format", help="data format when it cannot be detected: conll, jsonl, brat, pubtator")
    flags.add(
        p,
        "model.base",
        "--base",
        help="start the student from this encoder (a folder, or a known base: minilm, mpnet) instead of the teacher",
    )
    flags.add(
        p, "model.layers", "--layers", help="student layers, e.g. 0,2,4 (default: every other layer of the teacher)"
    )
    flags.add(p, "distillation.temperature", "--temperature", help="softmax temperature of the soft labels")
    flags.add(p, "distillation.alpha", "--alpha", help="weight of the teacher term against gold cross-entropy")
    flags.add(
        p, "distillation.soft", "--hard", const=False, help="train on the teacher's spans instead of its distributions"
    )
    add_training_options(flags, p, threads_help="CPU threads for torch, also for the speed comparison")
    flags.add(p, "evaluation.bootstrap", "--bootstrap", help="bootstrap samples for the intervals (0 = none)")
    flags.add(p, "evaluation.speed_repeats", "--repeats", help="timed passes per model for the speed comparison")
    p.add_argument("--output", "-o", required=True, help="folder to write the student to")
    add_overwrite_option(p, "distill")
    add_resume_option(p)


def _with_teacher_task(config: DistillConfig, asked: str | None) -> DistillConfig:
    """``model.task`` set to the teacher's task; an explicit other task (``--task``, ``model.task``) is an error."""
    from dataclasses import replace

    from specialize.config import ModelConfig
    from specialize.tasks.registry import task_of

    teacher = config.distillation.teacher
    detected = task_of(teacher)
    for source, task in (("--task", asked), ("model.task", config.model.task)):
        if task is not None and task != detected.name and (source == "--task" or task != ModelConfig().task):
            raise ConfigError(
                f"{source} {task} but teacher {teacher} is a {detected.what} (its task: {detected.name}); drop "
                f"{source}: it is detected from the teacher"
            )
    return replace(config, model=replace(config.model, task=detected.name))


def run(args: argparse.Namespace) -> int:
    from specialize.training.distill import distill

    config = _with_teacher_task(resolve_config(args), args.task)
    if print_config(args, config):
        return 0
    d = config.distillation
    result = distill(
        d.teacher,
        config.train_config(),
        args.output,
        unlabeled=d.unlabeled,
        text_field=d.text_field,
        teacher_targets=d.teacher_targets,
        args=d.args(),
        label_map=d.label_map,
        n_bootstrap=config.evaluation.bootstrap,
        throughput_repeats=config.evaluation.speed_repeats,
        overwrite=args.overwrite,
        resume=args.resume,
        saved_config=config,
    )
    print(f"saved {result.output}")
    for warning in result.history.warnings:
        print(f"WARNING: {warning}")
    for record in result.records:
        agreement = f", agreement with the teacher F1 {record['agreement']['f1']:.4f}" if "agreement" in record else ""
        print(
            f"{record['split']} ({record['dataset']}) {record['role']} {record['model']}: F1 "
            f"{score_with_ci(record['f1'], record['f1_ci'])}, macro F1 {record['macro_f1']:.4f}{agreement}"
        )
    if result.throughput:
        teacher, student = result.throughput["models"]
        print(
            f"speed on {result.throughput['n_docs']} texts, {result.throughput['threads']} threads: teacher "
            f"{teacher['docs_per_s']:.1f} docs/s, student {student['docs_per_s']:.1f} docs/s "
            f"({student['docs_per_s'] / max(teacher['docs_per_s'], 1e-9):.2f}x)"
        )
    print(json.dumps({"train_seconds": round(result.history.train_seconds, 1), "best_dev_f1": result.history.best_f1}))
    return 0
