"""``train_static``: a static-embedding student from a teacher (or any encoder), on gold and/or soft labels.

The teacher gives the student its tokenizer, its windowing settings, its label list and, once per vocabulary
token, the vectors of the student's embedding table. With ``soft=True`` (a specialist teacher) it also gives
its per-word label distributions on the training texts, and on any unlabeled in-domain texts, learned with KL at a
temperature next to gold cross-entropy by the same ``DistillationTrainer`` as transformer students.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specialize.config import CommandConfig, DataConfig, TrainConfig, write_run_config
from specialize.data.document import Document
from specialize.data.features import InferenceSettings
from specialize.data.loading import LoadedData
from specialize.data.model_folder import FolderKind, read_config, read_model_folder
from specialize.data.tagging import entity_types, iob2_labels
from specialize.errors import ConfigError, DataError, ModelFolderError
from specialize.models.static_student import StaticConfig, StaticStudent, frequency_weights
from specialize.tasks.base import UNLABELED
from specialize.tasks.spans import SpanTask
from specialize.training.args import DistillationArgs, StaticArgs, TrainingArgs, static_training_args
from specialize.training.outputs import claim_run_output
from specialize.training.run import evaluate_splits, load_role, write_training_record
from specialize.training.run_data import load_unlabeled
from specialize.training.run_health import check_training_run, texts_of
from specialize.training.targets import TargetStore
from specialize.training.trainer import DistillationTrainer, Trainer, TrainingHistory

logger = logging.getLogger(__name__)


@dataclass
class StaticTrainResult:
    output: Path
    student: StaticStudent
    history: TrainingHistory
    evaluation: list[dict[str, Any]]


def load_teacher_encoder(teacher: str | Path) -> tuple[Any, torch.nn.Module, Any, InferenceSettings]:
    """(specialist or None, base encoder module, ``tokenizers.Tokenizer``, inference settings) of a folder:
    a specialist (its encoder, already NER-tuned, and its settings) or any transformers encoder folder."""
    from specialize.models.specialist import Specialist

    folder = Path(teacher)
    raw = read_config(folder)
    if "specialize" in raw:
        if read_model_folder(folder).kind is not FolderKind.TRANSFORMERS:
            raise ModelFolderError(
                f"{teacher} is not a torch transformer specialist: distil from a specialist or encoder folder instead"
            )
        from specialize.models.shapes import encoder_of

        specialist = Specialist.load(folder)
        return specialist, encoder_of(specialist.model), specialist.tokenizer, specialist.settings
    from transformers import AutoModel

    from specialize.models.token_classifier import load_fast_tokenizer

    hf_tokenizer = load_fast_tokenizer(folder)
    settings = InferenceSettings(
        cls_id=hf_tokenizer.cls_token_id, sep_id=hf_tokenizer.sep_token_id, pad_id=hf_tokenizer.pad_token_id or 0
    )
    return None, AutoModel.from_pretrained(str(folder)), hf_tokenizer.backend_tokenizer, settings


def _labels(teacher: Any, documents: Sequence[Document]) -> list[str]:
    data_types = {s.label for d in documents for s in d.spans}
    if teacher is None:
        return iob2_labels(data_types)
    missing = sorted(data_types - set(entity_types(teacher.label_list)))
    if missing:
        raise DataError(f"the training data has entity types {missing} that the teacher {teacher.name} lacks")
    return list(teacher.label_list)


def _token_counts(tokenizer: Any, texts: Sequence[str]) -> np.ndarray:
    vocab = tokenizer.get_vocab_size()
    counts = np.zeros(vocab, dtype=np.float64)
    for encoding in tokenizer.encode_batch(list(texts), add_special_tokens=False):
        counts += np.bincount(encoding.ids, minlength=vocab)[:vocab]
    return counts


def _card(
    student: StaticStudent, records: list[dict[str, Any]], data: list[LoadedData[Document]], info: dict[str, Any]
) -> str:
    c = student.model.config
    lines = [
        "---",
        "library_name: specialize",
        "pipeline_tag: token-classification",
        "tags: [specialize, ner, static-embeddings]",
        "---",
        "",
        f"# {student.name}",
        "",
        f"A static-embedding named-entity student trained with specialize. Entity types: "
        f"{', '.join(f'`{t}`' for t in student.labels)}. Token vectors (PCA to {c.dim}-d) were distilled from "
        f"`{student.source}`; context comes from {len(c.dilations)} residual conv layers (kernel {c.kernel_size}, "
        f"dilations {c.dilations}) over subwords plus word-shape embeddings; {student.n_parameters / 1e6:.1f}M "
        "parameters. It runs through the same tokenization, windowing and constrained decoding as every "
        "specialist.",
        "",
        "```bash",
        "specialize predict THIS_FOLDER --input texts.txt --output entities.jsonl",
        "specialize export THIS_FOLDER --output THIS_FOLDER-onnx   # torch-free OnnxPredictor, fastest on CPU",
        "```",
        "",
        f"Training: {info['how']}.",
        "",
        "## Evaluation",
        "",
        *(SpanTask().card_scores(records) or ["No held-out evaluation was run for this model.", ""]),
        "## Data",
        "",
        "| role | source | sha256 | documents | spans |",
        "|---|---|---|---|---|",
        *(
            f"| {d['role']} | {d['source']} | `{d['sha256']}` | {d['documents']} | {d['spans']} |"
            for d in (part.describe() for x in data for part in x.files())
        ),
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps(info, indent=2, default=str),
        "```",
        "",
    ]
    return "\n".join(lines)


def train_static(
    teacher: str | Path,
    output: str | Path,
    *,
    train: str | Path | Sequence[Document],
    dev: str | Path | Sequence[Document] | None = None,
    test: str | Path | Sequence[Document] | None = None,
    soft: bool = False,
    unlabeled: str | Path | Sequence[Any] | None = None,
    text_field: str = "text",
    teacher_targets: str | Path | None = None,
    static: StaticArgs | None = None,
    training: TrainingArgs | None = None,
    distillation: DistillationArgs | None = None,
    data_format: str | None = None,
    n_bootstrap: int = 1000,
    overwrite: bool = False,
    saved_config: CommandConfig | None = None,
) -> StaticTrainResult:
    """Distil ``teacher``'s token vectors into a static student, train it on ``train``, score it on ``dev`` and
    ``test`` and save it (with its model card and evaluation.json) in ``output``.

    ``soft``: learn the teacher's per-word distributions on the training texts (KL at
    ``distillation.temperature``, weight ``distillation.alpha``) next to gold cross-entropy; needs a
    specialist teacher. Without it the student learns from gold labels alone. ``unlabeled`` (needs ``soft``):
    texts, a text/JSONL/CSV file, a folder, a dataset name (its labels dropped) or a list of files and names,
    learned from the teacher's distributions alone; their subwords also count for the embedding table's frequency
    weights. ``text_field``: the JSONL field or CSV column of the text. ``teacher_targets`` (needs ``soft``): a
    folder keeping the teacher's soft targets across runs (:class:`~specialize.training.targets.TargetStore`, as
    for distill): the next student of this teacher on the same text does not pay the teacher again.
    ``saved_config``: the command's resolved config (a TrainStaticConfig), saved in ``output`` as
    ``specialize_config.toml``.
    """
    static = static or StaticArgs()
    static.validate()
    args = training or static_training_args()
    distillation = distillation or DistillationArgs()
    distillation.validate()
    output = Path(output)
    if (unlabeled is not None or teacher_targets) and not soft:
        raise ConfigError(
            "unlabeled texts and kept teacher targets are the teacher's soft labels: pass soft=True (--soft) or "
            "drop them"
        )
    claim = claim_run_output(output, "train-static", None, teacher, train, dev, test, unlabeled, overwrite=overwrite)
    if args.threads:
        torch.set_num_threads(args.threads)
    task = SpanTask()
    run_config = TrainConfig(data=DataConfig(format=data_format), training=args)
    train_data = load_role(task, "train", train, run_config)
    assert train_data is not None
    dev_data = load_role(task, "dev", dev, run_config)
    test_data = load_role(task, "test", test, run_config)
    unlabeled_data = load_unlabeled(task, unlabeled, text_field)
    specialist, encoder, tokenizer, settings = load_teacher_encoder(teacher)
    if soft:
        if specialist is None:
            raise ConfigError(f"soft labels need a specialist teacher (a folder written by specialize), not {teacher}")
        task.check_soft_teacher(specialist, None)
    labels = _labels(specialist, train_data.items)
    config = StaticConfig(
        vocab_size=int(tokenizer.get_vocab_size()),
        num_labels=len(labels),
        dim=static.dim,
        kernel_size=static.kernel_size,
        dilations=list(static.dilations),
        dropout=static.dropout,
    )
    weights = None
    if static.frequency_weighting:
        texts = [*train_data.texts, *(unlabeled_data.texts if unlabeled_data else [])]
        weights = frequency_weights(_token_counts(tokenizer, texts))
    student = StaticStudent.from_encoder(
        encoder,
        tokenizer,
        InferenceSettings(**asdict(settings)),
        labels,
        config=config,
        shape_ids=static.shape_ids,
        include_input=static.include_input,
        weights=weights,
        name=output.name,
        source=str(teacher),
        seed=args.seed,
    )
    if static.freeze_embeddings:
        student.model.word_embeddings.weight.requires_grad_(False)

    windows = task.training_windows(student, train_data.items, run_config, "train")
    groups = [windows]
    if unlabeled_data is not None:
        groups.append(task.training_windows(student, unlabeled_data.items, run_config, UNLABELED))
    evaluator = task.dev_evaluator(dev_data, run_config.model) if dev_data else None
    if dev_data is None:
        logger.warning("no dev data: training all %d epochs and keeping the last weights", args.epochs)
    if soft:
        store = TargetStore.open(teacher_targets, Path(teacher)) if teacher_targets else None
        memo = store.remember if store else None
        trainer = DistillationTrainer(specialist, student, task, args, distillation, evaluator, targets_memo=memo)
        for group in groups:
            trainer.prepare(group)  # replaces each group's windows with ones carrying the teacher's targets
        all_windows = [w for group in groups for w in group.windows]
        history = trainer.train(all_windows)
        how = (
            f"KL to the teacher's per-word distributions at temperature {distillation.temperature:g} (weight "
            f"{distillation.alpha:g}) plus gold cross-entropy (weight {1 - distillation.alpha:g})"
        )
        if unlabeled_data is not None:
            how += (
                f"; {len(unlabeled_data.items)} unlabeled texts ({unlabeled_data.source}) learned from the teacher "
                "alone"
            )
    else:
        all_windows = list(windows.windows)
        history = Trainer(student, task, args, evaluator).train(all_windows)
        how = "gold cross-entropy"
    del specialist, encoder  # the teacher is done with; free its memory before evaluation
    check_training_run(student, history, args, windows=len(all_windows), train_texts=texts_of(train_data.items))

    records = evaluate_splits(student, task, [d for d in (dev_data, test_data) if d is not None], n_bootstrap)
    info = {
        "teacher": str(teacher),
        "how": how,
        "soft": soft,
        "static": asdict(static),
        "training": asdict(args),
        "distillation": asdict(distillation) if soft else None,
        "unlabeled": (
            {"source": unlabeled_data.source, "texts": len(unlabeled_data.items), "windows": len(groups[-1].windows)}
            if unlabeled_data is not None
            else None
        ),
        "alignment": windows.note,
        "steps": history.steps,
        "train_seconds": round(history.train_seconds, 1),
        "best_dev_f1": history.best_f1,
        "history": history.evaluations,
    }
    data_used = [d for d in (train_data, unlabeled_data, dev_data, test_data) if d is not None]
    with claim.writing() as folder:
        student.save(folder, extra_config={"training": info}, card=_card(student, records, data_used, info))
        (folder / "evaluation.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        write_training_record(folder, history, {"windows": len(all_windows), "unlabeled": info["unlabeled"]})
        write_run_config(folder, saved_config, output)
    logger.info("saved the static student to %s", output)
    return StaticTrainResult(output, student, history, records)
