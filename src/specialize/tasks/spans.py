"""Named entities: documents with character-offset spans, a token classifier over IOB2 tags.

Training windows carry a gold tag id on each word's first subword (``-100`` elsewhere); soft targets are the
teacher's per-word tag distributions at the same positions, computed once per document and mapped onto the
student's words by character offsets when the two tokenizers split words differently. Predictions are decoded
into well-formed spans; scoring is strict span match (start, end and type) with bootstrap intervals over documents.
"""

from __future__ import annotations

import bisect
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from specialize.config import DataConfig, ModelConfig, TrainConfig
from specialize.data.alignment import (
    AlignmentReport,
    TokenizedDocument,
    map_word_probabilities,
    spans_to_word_tags,
    tokenize_texts,
)
from specialize.data.document import Document, Span
from specialize.data.features import IGNORE_INDEX, WindowFeatures, build_features, pad_batch
from specialize.data.grouping import Context, join_documents
from specialize.data.loading import LoadedData
from specialize.data.model_folder import SPAN_TASK
from specialize.data.tagging import OUTSIDE, entity_types, iob2_labels
from specialize.data.validation import check_gold, drop_invalid_spans, resolve_overlaps
from specialize.errors import ConfigError, DataError
from specialize.evaluation.confidence import CONFIDENCES
from specialize.evaluation.span_metrics import bootstrap_ci, score_spans
from specialize.tasks.base import UNLABELED, LabelScheme, Scored, Task, TeacherTargets, Windows, ci_text, task_name_of
from specialize.training.args import DistillationArgs

if TYPE_CHECKING:
    from specialize.tasks.base import TargetMemo

logger = logging.getLogger(__name__)

HARD_LABELS_HINT = "use hard labels instead (specialize distill --hard, or DistillationArgs(soft=False))"
PREDICT_CHUNK = 256  # documents per teacher call: bounds the memory of windows and probabilities
WINDOW_FIELDS = [f.name for f in fields(WindowFeatures)]


class SoftWindow(WindowFeatures):
    """A window plus the teacher's distribution for each word whose first subword it holds."""

    teacher_positions: list[int]
    teacher_probs: np.ndarray  # (len(teacher_positions), labels), teacher at temperature 1

    def __init__(self, window: WindowFeatures, positions: list[int], probs: np.ndarray) -> None:
        super().__init__(**{name: getattr(window, name) for name in WINDOW_FIELDS})
        self.teacher_positions = positions
        self.teacher_probs = probs


# -- soft targets -------------------------------------------------------------------------------------------------
def word_scorer(teacher: Any) -> Any:
    """What gives ``teacher``'s per-word tag distributions: itself (a specialist, an export) or the specialist a
    teacher adapter wraps; None when nothing does."""
    for candidate in (teacher, getattr(teacher, "specialist", None)):
        if callable(getattr(candidate, "word_probabilities", None)) and hasattr(candidate, "label_list"):
            return candidate
    return None


def teacher_word_probabilities(
    scorer: Any,
    student_labels: Sequence[str],
    student_docs: Sequence[TokenizedDocument],
    memo: TargetMemo,
) -> list[np.ndarray]:
    """The teacher's distribution for every word of every document, computed once and kept in memory."""
    out: list[np.ndarray] = []
    for i in range(0, len(student_docs), PREDICT_CHUNK):
        chunk = student_docs[i : i + PREDICT_CHUNK]

        def compute(chunk: Sequence[TokenizedDocument] = chunk) -> list[np.ndarray]:
            teacher_docs, probs = scorer.word_probabilities([d.text for d in chunk])
            return [
                map_word_probabilities(t, p, s, student_labels)
                for t, p, s in zip(teacher_docs, probs, chunk, strict=True)
            ]

        # The student's words are part of the key: the targets are rows of them.
        key = ("word-probabilities", list(student_labels), [(d.text, d.word_starts) for d in chunk])
        out += memo(key, compute)
    return out


@dataclass
class SpanTrainingText:
    """What a span task keeps of the texts behind training windows (``Windows.context``): the student's tokenized
    documents, and for a document joined from sentences (data.context = document) their character ranges."""

    docs: list[TokenizedDocument]
    sentences: list[list[tuple[int, int]] | None]


def sentence_ranges(doc: Document) -> list[tuple[int, int]] | None:
    """The sentences of a document joined by :func:`specialize.data.grouping.join_documents`, None otherwise."""
    ranges = doc.meta.get("sentences")
    return [(int(r["start"]), int(r["end"])) for r in ranges] if isinstance(ranges, list) and ranges else None


def teacher_probabilities_by_sentence(
    scorer: Any, student: Any, text: SpanTrainingText, memo: TargetMemo
) -> list[np.ndarray]:
    """The teacher's distributions for the words of documents joined from sentences, the teacher reading one
    sentence at a time, as it was trained: a teacher trained on sentences, shown the student's whole documents,
    would read inputs unlike any it learned from. The sentences are tokenized as a sentence-level run tokenizes
    them, so the targets a run on sentences kept (distillation.teacher_targets) are read back, not recomputed."""
    units: list[str] = []
    owners: list[tuple[int, int]] = []  # (document, start of the sentence in it)
    for i, (doc, ranges) in enumerate(zip(text.docs, text.sentences, strict=True)):
        for start, end in ranges or [(0, len(doc.text))]:
            units.append(doc.text[start:end])
            owners.append((i, start))
    unit_docs = tokenize_texts(student.tokenizer, units)
    unit_probs = teacher_word_probabilities(scorer, student.label_list, unit_docs, memo)
    out = [np.full((doc.n_words, len(student.label_list)), np.nan, dtype=np.float32) for doc in text.docs]
    word_at = [{start: w for w, (start, _) in enumerate(doc.word_offsets)} for doc in text.docs]
    for (i, offset), unit, probs in zip(owners, unit_docs, unit_probs, strict=True):
        for w, (start, _) in enumerate(unit.word_offsets):
            j = word_at[i].get(offset + start)
            if j is not None:  # a word of the sentence is a word of the document (NaN: no target, as elsewhere)
                out[i][j] = probs[w]
    return out


def attach_teacher(
    features: Sequence[WindowFeatures], docs: Sequence[TokenizedDocument], word_probs: Sequence[np.ndarray]
) -> list[WindowFeatures]:
    """Each window with the teacher's distributions at the positions of the words it holds (as gold labels)."""
    out: list[WindowFeatures] = []
    for f in features:
        doc, probs = docs[f.doc_index], word_probs[f.doc_index]
        # Same words as the gold labels of build_features: every word whose first subword is in the window.
        lo = bisect.bisect_left(doc.word_starts, f.window.start)
        hi = bisect.bisect_left(doc.word_starts, f.window.end)
        rows = probs[lo:hi]
        keep = ~np.isnan(rows).any(axis=1)
        positions = [doc.word_starts[w] - f.window.start + 1 for w in range(lo, hi) if keep[w - lo]]
        out.append(SoftWindow(f, positions, rows[keep]))
    return out


class SpanTask(Task):
    name = SPAN_TASK
    what = "span model"
    count_name = "spans"
    answer_fields = ("spans",)

    # -- data ---------------------------------------------------------------------------------------------------
    def read(self, source: str, data: DataConfig) -> tuple[list[Document], Path | None, Counter[str]]:
        from specialize.data.io import read_documents

        path: Path | None = Path(source)
        documents = read_documents(source, format=data.format)
        if path is not None and not path.exists():  # a dataset name such as ncbi-disease:train
            from specialize.data import registry

            path = registry.resolve(source)
            if data.context == Context.DOCUMENT:  # NCBI-disease, BC5CDR: sentences whose abstracts are elsewhere
                documents = registry.with_documents(source, documents)
        items, dropped = self.prepare(documents, data, source)
        return items, path, dropped

    def prepare(
        self, items: Sequence[Document], data: DataConfig, source: str = "(documents)"
    ) -> tuple[list[Document], Counter[str]]:
        """Label map (``data.label_map``: labels it does not name are kept), then the ``data.labels`` filter."""
        documents = list(items)
        if data.label_map:
            from specialize.data.labels import map_document_labels, parse_label_map

            documents, unmapped = map_document_labels(documents, parse_label_map(data.label_map))
            if unmapped:
                logger.info("%s: labels not in the label map, kept as they are: %s", source, dict(unmapped))
        if data.context == Context.DOCUMENT:
            documents = join_documents(documents)
        dropped: Counter[str] = Counter()
        if data.labels is not None:
            keep = set(data.labels)
            dropped.update(s.label for d in documents for s in d.spans if s.label not in keep)
            if dropped:
                logger.info(
                    "%s: dropped %d spans of types not in data.labels: %s", source, sum(dropped.values()), dict(dropped)
                )
            documents = [replace(d, spans=[s for s in d.spans if s.label in keep]) for d in documents]
        return documents, dropped

    def count(self, item: Document) -> int:
        return len(item.spans)

    def validate(self, data: LoadedData[Document]) -> None:
        # One gold validation for train, distill, evaluate, audit and export --check (issue #15).
        check_gold(data.items, data.source if data.path is not None else None, data.role)

    def unlabeled(self, documents: Sequence[Document]) -> list[Document]:
        return [Document(d.text, [], d.id, dict(d.meta)) for d in documents]

    # -- model --------------------------------------------------------------------------------------------------
    def label_scheme(self, items: Sequence[Document], model: ModelConfig, source: str) -> LabelScheme:
        labels = iob2_labels(s.label for d in items for s in d.spans)
        if labels == [OUTSIDE]:
            raise DataError(f"training data {source} has no entity spans: nothing to learn")
        return LabelScheme(labels)

    def build(self, base: str | Path, scheme: LabelScheme, model: ModelConfig, *, seed: int, name: str) -> Any:
        from specialize.models.specialist import InferenceSettings, Specialist
        from specialize.models.token_classifier import build_token_classifier, load_fast_tokenizer

        tokenizer = load_fast_tokenizer(base)
        network = build_token_classifier(
            base,
            scheme.labels,
            layers=model.layers,
            intermediate_size=model.intermediate_size,
            word_shapes=model.word_shapes,
            seed=seed,
        )
        settings = InferenceSettings(
            max_length=model.max_length,
            stride=model.stride,
            word_shapes=model.word_shapes,
            cls_id=tokenizer.cls_token_id,
            sep_id=tokenizer.sep_token_id,
            pad_id=tokenizer.pad_token_id or 0,
        )
        return Specialist(network, tokenizer, settings, name=name)

    def student_scheme(self, teacher: Any, items: Sequence[Document], keeps_teacher_head: bool) -> LabelScheme:
        scorer = word_scorer(teacher)
        teacher_labels = list(scorer.label_list) if keeps_teacher_head and scorer is not None else None
        return LabelScheme(student_labels(teacher_labels, items))

    def student_settings(self, teacher: Any, model: ModelConfig, from_teacher: bool) -> ModelConfig:
        settings = getattr(teacher, "settings", None)
        if not from_teacher or settings is None or not hasattr(settings, "word_shapes"):
            return model
        # Its token-type rows were trained as shapes (or not): a student cut from it must read them alike.
        return replace(model, word_shapes=settings.word_shapes)

    # -- training -----------------------------------------------------------------------------------------------
    def training_windows(self, model: Any, items: Sequence[Document], config: TrainConfig, role: str) -> Windows:
        texts = [d.text for d in items]
        tokenized = tokenize_texts(model.tokenizer, texts)
        settings = model.settings
        word_tags = None
        note = "no gold spans"
        if role != UNLABELED:
            alignment = AlignmentReport()
            word_tags = [spans_to_word_tags(t, d.spans, alignment) for t, d in zip(tokenized, items, strict=True)]
            (logger.warning if alignment.problems else logger.info)("%s data alignment: %s", role, alignment.summary())
            note = alignment.summary()
        features = build_features(
            tokenized,
            max_length=settings.max_length,
            stride=settings.stride,
            cls_id=settings.cls_id,
            sep_id=settings.sep_id,
            word_shapes=settings.word_shapes,
            word_tags=word_tags,
            label2id={label: i for i, label in enumerate(model.label_list)} if word_tags is not None else None,
        )
        if word_tags is None:
            # Unlabeled text teaches through the teacher only, never as 'O' (pad_batch needs labels everywhere).
            for f in features:
                f.label_ids = [IGNORE_INDEX] * len(f)
        return Windows(
            features, texts, context=SpanTrainingText(tokenized, [sentence_ranges(d) for d in items]), note=note
        )

    def check_soft_teacher(self, teacher: Any, scheme: LabelScheme | None) -> None:
        scorer = word_scorer(teacher)
        if scorer is None:
            raise ConfigError(
                f"soft labels need per-word probabilities, which teacher {teacher.name!r} ({type(teacher).__name__}) "
                f"does not give; {HARD_LABELS_HINT}"
            )
        if scheme is not None and list(scorer.label_list) != list(scheme.labels):
            raise ConfigError(
                f"soft labels need the student's label list to equal the teacher's: teacher {scorer.label_list}, "
                f"student {scheme.labels}; {HARD_LABELS_HINT}"
            )

    def add_teacher_targets(self, teacher: Any, student: Any, windows: Windows, memo: TargetMemo) -> TeacherTargets:
        self.check_soft_teacher(teacher, LabelScheme(list(student.label_list)))
        text: SpanTrainingText = windows.context
        scorer = word_scorer(teacher)
        if getattr(scorer, "trained_on", None) == Context.SENTENCE and any(text.sentences):
            probs = teacher_probabilities_by_sentence(scorer, student, text, memo)
        else:
            probs = teacher_word_probabilities(scorer, student.label_list, text.docs, memo)
        windows.windows = attach_teacher(windows.windows, text.docs, probs)
        return TeacherTargets("soft", "the teacher's per-word tag distributions")

    def hard_labels(self, teacher: Any, data: LoadedData[Document]) -> LoadedData[Document]:
        """The texts with the teacher's spans as their labels (invalid and overlapping spans dropped, counted)."""
        docs: list[Document] = []
        dropped = 0
        for i in range(0, len(data.items), PREDICT_CHUNK):
            chunk = data.items[i : i + PREDICT_CHUNK]
            for doc, spans in zip(chunk, teacher.predict([d.text for d in chunk]), strict=True):
                labelled, invalid = drop_invalid_spans(Document(doc.text, [*spans], doc.id, doc.meta))
                flat, overlapping = resolve_overlaps(labelled, "keep_longest")
                dropped += len(invalid) + len(overlapping)
                docs.append(flat)
        if dropped:
            logger.warning("dropped %d invalid or overlapping teacher spans", dropped)
        return replace(data, role="teacher-labelled", source=f"{data.source} labelled by {teacher.name}", items=docs)

    def collate(self, model: Any, windows: Sequence[WindowFeatures]) -> dict[str, Any]:
        import torch

        arrays = pad_batch(windows, model.settings.pad_id)
        batch = {k: torch.from_numpy(v) for k, v in arrays.items()}
        if any(isinstance(f, SoftWindow) for f in windows):
            n, width = arrays["input_ids"].shape
            probs = np.zeros((n, width, len(model.label_list)), dtype=np.float32)
            mask = np.zeros((n, width), dtype=bool)
            for i, f in enumerate(windows):
                if isinstance(f, SoftWindow) and f.teacher_positions:
                    probs[i, f.teacher_positions] = f.teacher_probs
                    mask[i, f.teacher_positions] = True
            batch["teacher_probs"], batch["teacher_mask"] = torch.from_numpy(probs), torch.from_numpy(mask)
        return batch

    def loss(self, model: Any, batch: dict[str, Any], distillation: DistillationArgs | None) -> Any:
        import torch

        from specialize.training.losses import distillation_loss, model_logits

        labels = batch.pop("labels", None)
        teacher_probs, teacher_mask = batch.pop("teacher_probs", None), batch.pop("teacher_mask", None)
        logits = model_logits(model.model, batch)
        if distillation is None or teacher_probs is None:
            assert labels is not None, "a training batch without gold labels needs teacher targets"
            return torch.nn.functional.cross_entropy(
                logits.float().view(-1, logits.shape[-1]), labels.view(-1), ignore_index=IGNORE_INDEX
            )
        return distillation_loss(logits, teacher_probs, teacher_mask, labels, distillation)

    def dev_evaluator(self, dev: LoadedData[Document], model: ModelConfig) -> Callable[[Any], dict[str, float]]:
        texts = [d.text for d in dev.items]
        gold = [d.spans for d in dev.items]

        def evaluate_dev(specialist: Any) -> dict[str, float]:
            scores = score_spans(gold, specialist.predict(texts))
            return {"precision": scores.micro.precision, "recall": scores.micro.recall, "f1": scores.micro.f1}

        return evaluate_dev

    # -- prediction and scoring ---------------------------------------------------------------------------------
    def predict(self, model: Any, texts: Sequence[str]) -> list[list[Span]]:
        return [list(spans) for spans in model.predict(list(texts))]

    def gold(self, item: Document) -> list[Span]:
        return list(item.spans)

    def score(
        self,
        items: Sequence[Document],
        predictions: Sequence[Sequence[Span]],
        *,
        n_bootstrap: int,
        seed: int,
        confidence: float,
        examples: int,
    ) -> Scored:
        from specialize.evaluation.error_analysis import analyze_errors

        gold = [d.spans for d in items]
        types = sorted({s.label for spans in gold for s in spans})
        scores = score_spans(gold, [list(p) for p in predictions], types=types)
        ci = bootstrap_ci(scores, n_samples=n_bootstrap, seed=seed, confidence=confidence) if n_bootstrap else None
        return Scored(scores, ci, errors=analyze_errors(items, predictions, max_examples=examples))

    def agreement(self, reference: Sequence[Sequence[Span]], predictions: Sequence[Sequence[Span]]) -> dict[str, float]:
        micro = score_spans([list(r) for r in reference], [list(p) for p in predictions]).micro
        return {"precision": round(micro.precision, 6), "recall": round(micro.recall, 6), "f1": round(micro.f1, 6)}

    def answer_record(self, model: Any, text: str, answer: Sequence[Span], scores: Any = None) -> dict[str, Any]:
        return {"spans": [s.to_dict(text) for s in sorted(answer)]}

    def answers_with_scores(self, model: Any, texts: Sequence[str]) -> list[dict[str, Any]]:
        return [self.answer_record(model, t, a) for t, a in zip(texts, self.predict(model, texts), strict=True)]

    # -- cascade ------------------------------------------------------------------------------------------------
    confidence_measures = CONFIDENCES

    def answers_with_confidence(
        self, model: Any, texts: Sequence[str], measure: Any
    ) -> tuple[list[Any], list[float], list[dict[str, float]] | None]:
        from specialize.evaluation.confidence import WordScorer, primary_confidences

        if measure in ("min_word_prob", "min_token_margin") and not isinstance(model, WordScorer):
            raise ConfigError(
                f"confidence {measure!r} needs a model with word probabilities (a specialist folder or an export); "
                f"{model.name!r} has none. Use confidence 'min_span_score'"
            )
        spans, confidences = primary_confidences(model, texts, measure)
        return [sorted(s) for s in spans], confidences, None

    def check_fallback(self, primary: Any, fallback: Any) -> None:
        if task_name_of(fallback) != self.name:
            raise ConfigError(
                f"the fallback of span model {primary.name!r} must find spans; {fallback.name!r} classifies texts"
            )

    # -- model card ---------------------------------------------------------------------------------------------
    def card_front_matter(self) -> list[str]:
        return ["pipeline_tag: token-classification", "tags: [specialize, ner, token-classification]"]

    def card_scores(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        lines: list[str] = []
        for record in records:
            lines += [
                f"### {record.get('dataset') or 'data'} ({record.get('split') or 'split'})",
                "",
                "Strict span match (start, end and type all equal); 95% bootstrap confidence intervals over documents.",
                "",
                "| type | precision | recall | F1 [95% CI] | support |",
                "|---|---|---|---|---|",
            ]
            for entity_type, s in sorted(record.get("per_type", {}).items()):
                lines.append(
                    f"| {entity_type} | {s['precision']:.3f} | {s['recall']:.3f} | {s['f1']:.3f}"
                    f"{ci_text(s.get('f1_ci'))} | {s['support']} |"
                )
            lines.append(
                f"| **micro** | {record['precision']:.3f} | {record['recall']:.3f} | "
                f"**{record['f1']:.3f}**{ci_text(record.get('f1_ci'))} | |"
            )
            lines.append(f"| macro | | | {record['macro_f1']:.3f}{ci_text(record.get('macro_f1_ci'))} | |")
            lines += ["", f"Errors: {json.dumps(record.get('errors', {}))}", ""]
        return lines

    def card_summary(self, model: Any, base_model: str, layers: Sequence[int] | None) -> str:
        label_list = ", ".join(f"`{label}`" for label in entity_types(model.label_list))
        where = f"layers {list(layers)} of the base encoder" if layers else "all layers of the base encoder"
        return (
            f"A small named-entity specialist trained with [specialize](https://pypi.org/project/specialize/). "
            f"Entity types: {label_list}. Base model: `{base_model}` ({where}); "
            f"{model.n_parameters / 1e6:.1f}M parameters."
        )

    def card_usage(self, model: Any) -> list[str]:
        shapes = bool(getattr(model.settings, "word_shapes", False))
        note = (
            "The model sees each word's casing through its token-type ids (word shapes), which the bundled "
            "tokenizer computes (for an encoder without token types, such as MPNet, a bundled model class adds them "
            "to its input embeddings): load it with `trust_remote_code=True`, or casing is lost and accuracy drops."
            if shapes
            else "Plain encoder inputs: no remote code is needed."
        )
        return [
            "```python",
            "from transformers import pipeline",
            'ner = pipeline("token-classification", model="THIS_FOLDER", trust_remote_code=True,',
            '               aggregation_strategy="first")',
            "```",
            "",
            note + " `specialize predict` also handles documents longer than the model's window "
            "(sliding windows, nothing truncated) and decodes only well-formed spans.",
        ]


def student_labels(teacher_labels: list[str] | None, train_items: Sequence[Document]) -> list[str]:
    """The teacher's tag list where the student keeps the teacher's head (soft targets, layers cut from it), else
    the tags of the training data's types; every training type must be among them."""
    labels = (
        list(teacher_labels)
        if teacher_labels is not None
        else iob2_labels(s.label for d in train_items for s in d.spans)
    )
    missing = sorted({s.label for d in train_items for s in d.spans} - set(entity_types(labels)))
    if missing:
        raise DataError(
            f"the training data has entity types {missing} that the student, which reuses the teacher's labels "
            f"{entity_types(labels)}, lacks; map them to the teacher's types, or train a fresh student from another "
            "base (--base) with hard labels (--hard)"
        )
    if labels == [OUTSIDE]:
        raise DataError("nothing to learn: the teacher found no spans in the unlabeled texts and there is no gold data")
    return labels
