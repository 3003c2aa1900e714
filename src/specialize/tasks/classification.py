"""Text classification: labelled texts (single- or multi-label), a sequence classifier read in windows.

Every window of a training text carries the text's labels (cross-entropy for single-label, binary cross-entropy
per label for multi-label); prediction pools the windows (see :mod:`specialize.inference.window_classifier`). The head
starts from a linear probe of the frozen encoder (``model.head_init = "probe"``). A multi-label model's threshold
is chosen on dev at each evaluation and the best checkpoint's is kept.

Soft targets sit on windows: the student reads a long text as windows whose pooled logits make its prediction, so
the teacher's probabilities *on each of the student's windows* are its targets. A student that matches every
window matches the teacher's pooled prediction too: exactly for sigmoid logits under mean or max pooling, and for
softmax under mean pooling (window distributions fix the logits up to a per-window shift, which the mean carries
through the softmax unchanged). The text's pooled probabilities on every window would teach a window without the
cue (the clause, the finding) to predict it anyway; they are used only where the teacher cannot read the
student's windows: another tokenizer, or a teacher without window logits (the TF-IDF baseline).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from specialize.config import DataConfig, HeadInit, ModelConfig, TrainConfig
from specialize.data.classification import LabelledText, is_multi_label, label_counts, label_set
from specialize.data.document import Document
from specialize.data.features import IGNORE_INDEX, WindowFeatures, pad_batch
from specialize.data.io import read_labelled
from specialize.data.loading import LoadedData
from specialize.data.model_folder import CLASSIFICATION_TASK
from specialize.errors import ConfigError, DataError
from specialize.evaluation.classification_metrics import bootstrap_classification, score_labels
from specialize.evaluation.confidence import LABEL_CONFIDENCE, decision_threshold, label_confidences
from specialize.inference.window_classifier import ClassifierSettings, WindowClassifier, activate
from specialize.tasks.base import UNLABELED, LabelScheme, Scored, Task, TeacherTargets, Windows, ci_text, task_name_of
from specialize.tasks.spans import WINDOW_FIELDS
from specialize.training.args import DistillationArgs

if TYPE_CHECKING:
    from specialize.tasks.base import TargetMemo

logger = logging.getLogger(__name__)

PREDICT_CHUNK = 256  # texts per teacher call when the teacher reads whole texts


class TargetWindow(WindowFeatures):
    """A window with its text's gold target (a label id, a multi-hot vector, or None) and, for distillation, the
    teacher's probabilities for it (at temperature 1)."""

    target: Any
    teacher_probs: np.ndarray | None

    def __init__(self, window: WindowFeatures, target: Any, teacher_probs: np.ndarray | None = None) -> None:
        super().__init__(**{name: getattr(window, name) for name in WINDOW_FIELDS})
        self.target = target
        self.teacher_probs = teacher_probs


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


def _targets(texts: Sequence[LabelledText], labels: list[str], multi_label: bool) -> list[Any]:
    index = {label: i for i, label in enumerate(labels)}
    if multi_label:
        out = []
        for t in texts:
            row = np.zeros(len(labels), dtype=np.float32)
            row[[index[label] for label in t.labels]] = 1.0
            out.append(row)
        return out
    return [index[t.labels[0]] for t in texts]


def reads_student_windows(teacher: Any, student: Any) -> bool:
    """A windowed teacher (torch or ONNX) with the student's tokenizer gives logits for the student's windows."""
    return isinstance(teacher, WindowClassifier) and teacher.tokenizer.to_str() == student.tokenizer.to_str()


class ClassificationTask(Task):
    name = CLASSIFICATION_TASK
    what = "text classifier"
    count_name = "labels"
    answer_fields = ("labels", "scores")

    # -- data ---------------------------------------------------------------------------------------------------
    def check_data_config(self, data: DataConfig) -> None:
        _span_only(data)

    def read(self, source: str, data: DataConfig) -> tuple[list[LabelledText], Path | None, Counter[str]]:
        _span_only(data)
        path = Path(source)
        return read_labelled(source), path if path.exists() else None, Counter()

    def prepare(self, items: Sequence[Any], data: DataConfig) -> tuple[list[LabelledText], Counter[str]]:
        _span_only(data)
        return [t if isinstance(t, LabelledText) else LabelledText(str(t)) for t in items], Counter()

    def count(self, item: LabelledText) -> int:
        return len(item.labels)

    def validate(self, data: LoadedData[LabelledText]) -> None:
        empty = [t.id for t in data.items if not t.text.strip()]
        if empty:
            raise DataError(
                f"{data.role} data {data.source}: {len(empty)} empty text(s) (first: {empty[0]}); remove them"
            )

    def unlabeled(self, documents: Sequence[Document]) -> list[LabelledText]:
        return [LabelledText(d.text, [], d.id, dict(d.meta)) for d in documents]

    # -- model --------------------------------------------------------------------------------------------------
    def label_scheme(self, items: Sequence[LabelledText], model: ModelConfig, source: str) -> LabelScheme:
        labels = label_set(items)
        multi = is_multi_label(items)
        if len(labels) < 2 and not multi:
            raise DataError(f"training data {source} has {len(labels)} label(s): nothing to tell apart")
        multi_label = model.multi_label if model.multi_label is not None else multi
        if not multi_label and multi:
            bad = next(t for t in items if len(t.labels) != 1)
            raise DataError(
                f"model.multi_label is false but text {bad.id} of {source} has {len(bad.labels)} labels; give "
                "every text exactly one label, or train a multi-label model"
            )
        logger.info(
            "%s classification over %d labels; train label counts: %s",
            "multi-label" if multi_label else "single-label",
            len(labels),
            dict(label_counts(items).most_common()),
        )
        return LabelScheme(labels, multi_label)

    def build(self, base: str | Path, scheme: LabelScheme, model: ModelConfig, *, seed: int, name: str) -> Any:
        from specialize.models.text_classifier import TextClassifier, build_sequence_classifier
        from specialize.models.token_classifier import load_fast_tokenizer

        tokenizer = load_fast_tokenizer(base)
        network = build_sequence_classifier(
            base,
            scheme.labels,
            multi_label=scheme.multi_label,
            layers=model.layers,
            intermediate_size=model.intermediate_size,
            seed=seed,
        )
        settings = ClassifierSettings(
            max_length=model.max_length,
            stride=model.stride,
            multi_label=scheme.multi_label,
            pooling=model.pooling,
            threshold=model.threshold if model.threshold is not None else 0.5,
            threshold_source="config" if model.threshold is not None else "default",
            cls_id=tokenizer.cls_token_id,
            sep_id=tokenizer.sep_token_id,
            pad_id=tokenizer.pad_token_id or 0,
        )
        return TextClassifier(network, tokenizer, settings, name=name)

    def student_scheme(self, teacher: Any, items: Sequence[LabelledText], keeps_teacher_head: bool) -> LabelScheme:
        """The student predicts what the teacher does: its labels (every gold label among them) and its kind."""
        unknown = sorted({label for t in items for label in t.labels} - set(teacher.labels))
        if unknown:
            raise DataError(
                f"the training data has labels {unknown} that the teacher, whose labels the student keeps, lacks "
                f"(teacher labels: {teacher.labels}); drop or rename those labels"
            )
        if not teacher.multi_label and is_multi_label([t for t in items if t.labels]):
            bad = next(t for t in items if t.labels and len(t.labels) != 1)
            raise DataError(
                f"the teacher is single-label but text {bad.id} has {len(bad.labels)} labels; give every text "
                "exactly one label"
            )
        return LabelScheme(list(teacher.labels), teacher.multi_label)

    def student_settings(self, teacher: Any, model: ModelConfig, from_teacher: bool) -> ModelConfig:
        """Windowing and pooling are the teacher's unless the config sets other values (the teacher's targets are
        most faithful on windows like its own); single/multi-label is always the teacher's; a multi-label
        student's threshold starts at the teacher's until dev picks one."""
        if model.multi_label is not None and model.multi_label != teacher.multi_label:
            raise ConfigError(
                f"model.multi_label = {model.multi_label} but the teacher is "
                f"{'multi' if teacher.multi_label else 'single'}-label; the student predicts what the teacher does: "
                "remove model.multi_label"
            )
        inherited = getattr(teacher, "settings", None)
        defaults = ModelConfig()
        chosen = {}
        if isinstance(inherited, ClassifierSettings):
            for key in ("max_length", "stride", "pooling"):
                if getattr(model, key) == getattr(defaults, key):
                    chosen[key] = getattr(inherited, key)
        return replace(model, multi_label=teacher.multi_label, **chosen)

    def prepare_student(self, teacher: Any, student: Any, model: ModelConfig) -> None:
        """A multi-label student predicts with the teacher's threshold until dev picks one."""
        if model.threshold is None:
            inherited = getattr(teacher, "settings", None)
            student.settings.threshold = float(getattr(inherited, "threshold", getattr(teacher, "threshold", 0.5)))
            student.settings.threshold_source = "teacher"

    # -- training -----------------------------------------------------------------------------------------------
    def training_windows(self, model: Any, items: Sequence[LabelledText], config: TrainConfig, role: str) -> Windows:
        texts = [t.text for t in items]
        all_windows = model.preprocess(texts)
        windows = sample_windows(all_windows, config.training.max_windows_per_document)
        logger.info(
            "%d %s texts -> %d windows, %d used (max_windows_per_document=%s)",
            len(items),
            role,
            len(all_windows),
            len(windows),
            config.training.max_windows_per_document,
        )
        if role == UNLABELED:
            targets: list[Any] = [None] * len(items)
        else:
            targets = _targets(items, model.labels, model.multi_label)
        return Windows([TargetWindow(w, targets[w.doc_index]) for w in windows], texts, available=len(all_windows))

    def initialize_head(self, model: Any, windows: Windows, config: TrainConfig) -> dict[str, Any] | None:
        if config.model.head_init != HeadInit.PROBE:
            return None
        import torch

        from specialize.training.linear_probe import fit_linear_probe

        labelled = [w for w in windows.windows if isinstance(w, TargetWindow) and w.target is not None]
        if not labelled:
            return None
        model.to(config.training.device)  # the probe's forward passes run where training will
        # fit_linear_probe takes one target row per text: give every window its own "text".
        targets = torch.from_numpy(np.stack([np.asarray(w.target) for w in labelled]))
        reindexed = [replace(_plain(w), doc_index=i) for i, w in enumerate(labelled)]
        return fit_linear_probe(
            model.model, reindexed, targets, multi_label=model.multi_label, pad_id=model.settings.pad_id
        )

    def check_soft_teacher(self, teacher: Any, scheme: LabelScheme | None) -> None:
        if not callable(getattr(teacher, "predict_proba", None)) or not hasattr(teacher, "multi_label"):
            raise ConfigError(
                f"teacher {teacher.name!r} ({type(teacher).__name__}) gives no label probabilities, so it cannot give "
                "soft labels; use hard labels (--hard)"
            )
        if scheme is not None and sorted(scheme.labels) != sorted(teacher.labels):
            raise ConfigError(
                f"soft labels need the student's labels to be the teacher's: teacher {teacher.labels}, student "
                f"{scheme.labels}"
            )

    def add_teacher_targets(self, teacher: Any, student: Any, windows: Windows, memo: TargetMemo) -> TeacherTargets:
        self.check_soft_teacher(teacher, LabelScheme(list(student.labels), student.multi_label))
        rows: list[np.ndarray] = []
        if reads_student_windows(teacher, student):
            for i in range(0, len(windows.windows), PREDICT_CHUNK):
                chunk = windows.windows[i : i + PREDICT_CHUNK]

                def logits(chunk: Sequence[WindowFeatures] = chunk) -> list[np.ndarray]:
                    return [np.asarray(x, np.float32) for x in teacher.forward(chunk)]

                rows += memo(("window-logits", [(w.input_ids, w.type_ids) for w in chunk]), logits)
            probs = activate(np.stack(rows).astype(np.float32), teacher.multi_label)
            where = "window"
        else:
            logger.info("the teacher cannot read the student's windows: its whole-text probabilities are the targets")
            texts = windows.texts
            for i in range(0, len(texts), PREDICT_CHUNK):
                chunk_texts = texts[i : i + PREDICT_CHUNK]

                def probabilities(chunk_texts: list[str] = chunk_texts) -> list[np.ndarray]:
                    return list(teacher.predict_proba(chunk_texts))

                rows += memo(("text-probabilities", list(teacher.labels), chunk_texts), probabilities)
            per_text = np.stack(rows).astype(np.float32)
            probs = per_text[[w.doc_index for w in windows.windows]]
            where = "text"
        # The teacher's columns in the student's label order.
        order = [list(teacher.labels).index(label) for label in student.labels]
        for w, row in zip(windows.windows, probs[:, order], strict=True):
            assert isinstance(w, TargetWindow)
            w.teacher_probs = row
        described = {
            "window": "the teacher's probabilities on each of the student's windows",
            "text": "the teacher's whole-text probabilities on each window of the text",
        }[where]
        loss = "per-label binary KL (sigmoid)" if student.multi_label else "KL divergence over labels (softmax)"
        return TeacherTargets("soft", described, loss, {"targets": where})

    def hard_labels(self, teacher: Any, data: LoadedData[LabelledText]) -> LoadedData[LabelledText]:
        predicted: list[list[str]] = []
        texts = [t.text for t in data.items]
        for i in range(0, len(texts), PREDICT_CHUNK):
            predicted += [list(labels) for labels in teacher.predict(texts[i : i + PREDICT_CHUNK])]
        items = [replace(t, labels=labels) for t, labels in zip(data.items, predicted, strict=True)]
        return replace(data, role="teacher-labelled", source=f"{data.source} labelled by {teacher.name}", items=items)

    def collate(self, model: Any, windows: Sequence[WindowFeatures]) -> dict[str, Any]:
        import torch

        arrays = pad_batch(windows, model.settings.pad_id)
        batch: dict[str, Any] = {k: torch.from_numpy(v) for k, v in arrays.items()}
        n_labels = len(model.labels)
        targets = [w.target if isinstance(w, TargetWindow) else None for w in windows]
        has_gold = np.array([t is not None for t in targets], dtype=bool)
        if model.multi_label:
            gold = np.stack([np.asarray(t) if t is not None else np.zeros(n_labels, np.float32) for t in targets])
        else:
            gold = np.array([t if t is not None else IGNORE_INDEX for t in targets], dtype=np.int64)
        batch["labels"], batch["has_gold"] = torch.from_numpy(gold), torch.from_numpy(has_gold)
        teacher = [w.teacher_probs if isinstance(w, TargetWindow) else None for w in windows]
        if any(t is not None for t in teacher):
            probs = np.stack([t if t is not None else np.zeros(n_labels, np.float32) for t in teacher])
            batch["teacher_probs"] = torch.from_numpy(probs.astype(np.float32))
            batch["teacher_mask"] = torch.from_numpy(np.array([t is not None for t in teacher], dtype=bool))
        return batch

    def loss(self, model: Any, batch: dict[str, Any], distillation: DistillationArgs | None) -> Any:
        import torch

        from specialize.training.losses import distillation_loss, model_logits, multi_label_distillation_loss

        gold, has_gold = batch.pop("labels"), batch.pop("has_gold")
        teacher_probs, teacher_mask = batch.pop("teacher_probs", None), batch.pop("teacher_mask", None)
        logits = model_logits(model.model, batch).float()
        if distillation is None or teacher_probs is None:
            if model.multi_label:
                return torch.nn.functional.binary_cross_entropy_with_logits(logits[has_gold], gold[has_gold])
            return torch.nn.functional.cross_entropy(logits, gold, ignore_index=IGNORE_INDEX)
        if not model.multi_label:  # the span loss, with windows for positions
            return distillation_loss(logits, teacher_probs, teacher_mask, gold, distillation)
        return multi_label_distillation_loss(logits, teacher_probs, teacher_mask, gold, has_gold, distillation)

    def dev_evaluator(self, dev: LoadedData[LabelledText], model: ModelConfig) -> Callable[[Any], dict[str, float]]:
        """Scores on dev for checkpoint selection. A multi-label model without a configured threshold first gets
        the threshold with the best dev micro F1, reported as ``threshold``: a fixed 0.5 would score every early
        checkpoint 0 and the best one could never be told apart."""
        from specialize.models.text_classifier import select_threshold

        texts = [t.text for t in dev.items]
        gold = [t.labels for t in dev.items]

        def evaluate_dev(classifier: Any) -> dict[str, float]:
            probabilities = classifier.predict_proba(texts)
            extra: dict[str, float] = {}
            if classifier.multi_label and model.threshold is None:
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

    def finish_training(self, model: Any, evaluations: Sequence[Mapping[str, Any]], best_step: int | None) -> None:
        best = next((e for e in evaluations if e.get("step") == best_step), None)
        if best is not None and "threshold" in best:
            # The threshold chosen with the restored (best) checkpoint, not the last evaluation's.
            model.settings.threshold, model.settings.threshold_source = float(best["threshold"]), "dev"
            logger.info("multi-label threshold %.2f, chosen on dev (micro F1 %.4f)", best["threshold"], best["f1"])
        elif model.multi_label:
            logger.info("multi-label threshold %.2f (%s)", model.settings.threshold, model.settings.threshold_source)

    # -- prediction and scoring ---------------------------------------------------------------------------------
    def predict(self, model: Any, texts: Sequence[str]) -> list[list[str]]:
        return [list(labels) for labels in model.predict(list(texts))]

    def gold(self, item: LabelledText) -> list[str]:
        return list(item.labels)

    def score(
        self,
        items: Sequence[LabelledText],
        predictions: Sequence[Sequence[str]],
        *,
        n_bootstrap: int,
        seed: int,
        confidence: float,
        examples: int,
    ) -> Scored:
        gold = [t.labels for t in items]
        scores = score_labels(gold, [list(p) for p in predictions], labels=label_set(items))
        if not n_bootstrap:
            return Scored(scores.labels, None, accuracy=scores.accuracy)
        ci = bootstrap_classification(scores, n_samples=n_bootstrap, seed=seed, confidence=confidence)
        return Scored(scores.labels, ci.labels, accuracy=scores.accuracy, accuracy_ci=ci.accuracy)

    def agreement(self, reference: Sequence[Sequence[str]], predictions: Sequence[Sequence[str]]) -> dict[str, float]:
        scores = score_labels([list(r) for r in reference], [list(p) for p in predictions])
        micro = scores.labels.micro
        return {
            "precision": round(micro.precision, 6),
            "recall": round(micro.recall, 6),
            "f1": round(micro.f1, 6),
            "exact_match": round(scores.accuracy, 6),
        }

    def answer_record(self, model: Any, text: str, answer: Sequence[str], scores: Any = None) -> dict[str, Any]:
        return {"labels": list(answer), "scores": dict(scores or {})}

    def answers_with_scores(self, model: Any, texts: Sequence[str]) -> list[dict[str, Any]]:
        probabilities = model.predict_proba(list(texts))
        scores = label_scores(model.labels, probabilities)
        return [
            self.answer_record(model, t, labels, s)
            for t, labels, s in zip(texts, model.decide(probabilities), scores, strict=True)
        ]

    # -- cascade ------------------------------------------------------------------------------------------------
    confidence_measures = (LABEL_CONFIDENCE,)

    def answers_with_confidence(
        self, model: Any, texts: Sequence[str], measure: Any
    ) -> tuple[list[Any], list[float], list[dict[str, float]] | None]:
        """Labels, their confidence (see :mod:`specialize.evaluation.confidence`) and every label's probability."""
        if measure not in (None, LABEL_CONFIDENCE):
            raise ConfigError(
                f"confidence {measure!r} measures spans; a classifier's confidence is its top probability "
                "(single-label) or its labels' distance to the decision threshold (multi-label)"
            )
        threshold = decision_threshold(model)  # a multi-label model without one fails here, before any text
        texts = list(texts)
        if not texts:
            return [], [], []
        probabilities = model.predict_proba(texts)
        confidences = label_confidences(probabilities, threshold)
        return model.decide(probabilities), [float(c) for c in confidences], label_scores(model.labels, probabilities)

    def check_fallback(self, primary: Any, fallback: Any) -> None:
        if task_name_of(fallback) != self.name:
            raise ConfigError(f"the fallback of a text classifier must be a text classifier, not {fallback.name!r}")
        if sorted(fallback.labels) != sorted(primary.labels):
            only_primary = sorted(set(primary.labels) - set(fallback.labels))
            only_fallback = sorted(set(fallback.labels) - set(primary.labels))
            raise ConfigError(
                f"the fallback {fallback.name!r} and {primary.name!r} must have the same labels; only "
                f"{primary.name!r} has {only_primary}, only {fallback.name!r} has {only_fallback}"
            )
        if fallback.multi_label != primary.multi_label:
            kinds = {True: "multi-label", False: "single-label"}
            raise ConfigError(
                f"{primary.name!r} is {kinds[primary.multi_label]} but its fallback {fallback.name!r} is "
                f"{kinds[fallback.multi_label]}; use a fallback of the same kind"
            )

    # -- model card ---------------------------------------------------------------------------------------------
    def card_front_matter(self) -> list[str]:
        return ["pipeline_tag: text-classification", "tags: [specialize, text-classification]"]

    def card_scores(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        lines: list[str] = []
        for r in records:
            accuracy = "exact match of the label set" if r.get("multi_label") else "share of texts with the right label"
            lines += [
                f"### {r.get('dataset') or 'data'} ({r.get('split') or 'split'}), {r['n_docs']} texts",
                "",
                f"95% bootstrap confidence intervals over texts. Accuracy: {accuracy}.",
                "",
                f"- accuracy: **{r['accuracy']:.3f}**{ci_text(r.get('accuracy_ci'))}",
                f"- micro F1: **{r['micro_f1']:.3f}**{ci_text(r.get('micro_f1_ci'))} "
                f"(P {r['precision']:.3f}, R {r['recall']:.3f})",
                f"- macro F1: **{r['macro_f1']:.3f}**{ci_text(r.get('macro_f1_ci'))}",
                "",
                "| label | precision | recall | F1 [95% CI] | support |",
                "|---|---|---|---|---|",
            ]
            for label, s in sorted(r.get("per_label", {}).items()):
                lines.append(
                    f"| {label} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f}{ci_text(s.get('f1_ci'))} "
                    f"| {s['support']} |"
                )
            lines.append("")
        return lines

    def card_summary(self, model: Any, base_model: str, layers: Sequence[int] | None) -> str:
        s = model.settings
        sources = {"dev": "chosen on dev micro F1", "config": "set in the config", "teacher": "the teacher's"}
        source = sources.get(s.threshold_source, "default")
        kind = f"multi-label (threshold {s.threshold:g}, {source})" if s.multi_label else "single-label"
        where = f" (layers {list(layers)})" if layers else ""
        return (
            f"A small {kind} text classifier trained with specialize over {len(model.labels)} labels: "
            + ", ".join(f"`{label}`" for label in model.labels)
            + f". Base model: `{base_model}`{where}; {model.n_parameters / 1e6:.1f}M parameters."
        )

    def card_usage(self, model: Any) -> list[str]:
        s = model.settings
        return [
            f"Texts longer than {s.max_length} subwords are read in overlapping windows (stride {s.stride}) whose "
            f"logits are pooled by **{s.pooling}**; nothing is truncated. The folder also loads as a plain "
            "`AutoModelForSequenceClassification`, which reads only the first window.",
        ]


def label_scores(labels: Sequence[str], probabilities: np.ndarray) -> list[dict[str, float]]:
    """Every label's probability for each row of ``probabilities``, as the ``scores`` of a classify record."""
    return [{label: round(float(p), 6) for label, p in zip(labels, row, strict=True)} for row in probabilities]


def _plain(window: WindowFeatures) -> WindowFeatures:
    return WindowFeatures(**{name: getattr(window, name) for name in WINDOW_FIELDS})


def _span_only(data: DataConfig) -> None:
    """Span-only data settings are errors here, not silently ignored."""
    for key, value in (("format", data.format), ("label_map", data.label_map), ("labels", data.labels)):
        if value is not None:
            raise ConfigError(
                f"data.{key} = {value!r} applies to span (NER) data; a text classifier's labels are its own and "
                "classification files are read by their suffix (.jsonl/.json/.csv): remove it"
            )
