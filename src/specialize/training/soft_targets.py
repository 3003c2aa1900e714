"""Soft targets: a teacher's per-word label distributions, computed once per document, placed on student windows.

Targets sit where gold labels sit (each word's first subword), so the KD and cross-entropy terms of the loss
score the same positions.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

import numpy as np

from specialize.data.alignment import TokenizedDocument, tokenize_texts
from specialize.data.features import IGNORE_INDEX, WindowFeatures, build_features
from specialize.models.base import SpanPredictor
from specialize.models.specialist import Specialist

HARD_LABELS_HINT = "use hard labels instead (specialize distill --hard, or DistillationArgs(soft=False))"
PREDICT_CHUNK = 256  # documents per teacher call: bounds the memory of windows and probabilities
WINDOW_FIELDS = [f.name for f in fields(WindowFeatures)]


@dataclass
class DistillationFeatures(WindowFeatures):
    """A window plus the teacher's distribution for each word whose first subword it holds."""

    teacher_positions: list[int] = field(default_factory=list)  # positions in input_ids
    teacher_probs: np.ndarray | None = None  # (len(teacher_positions), labels), teacher at temperature 1


def as_specialist(teacher: SpanPredictor) -> Specialist | None:
    """The specialist behind ``teacher`` (itself, or one wrapped as ``.specialist`` by a teacher adapter)."""
    if isinstance(teacher, Specialist):
        return teacher
    inner = getattr(teacher, "specialist", None)
    return inner if isinstance(inner, Specialist) else None


def check_soft_labels(teacher: SpanPredictor, student_labels: Sequence[str] | None = None) -> Specialist:
    """The specialist that gives ``teacher``'s per-word distributions, over the student's label list when one
    is given; otherwise a ValueError saying what to do instead."""
    specialist = as_specialist(teacher)
    if specialist is None:
        raise ValueError(
            f"soft labels need per-word probabilities, which teacher {teacher.name!r} ({type(teacher).__name__}) "
            f"does not give; {HARD_LABELS_HINT}"
        )
    if student_labels is not None and specialist.label_list != list(student_labels):
        raise ValueError(
            f"soft labels need the student's label list to equal the teacher's: teacher {specialist.label_list}, "
            f"student {list(student_labels)}; {HARD_LABELS_HINT}"
        )
    return specialist


def map_word_probabilities(
    teacher_doc: TokenizedDocument, probs: np.ndarray, student_doc: TokenizedDocument, labels: Sequence[str]
) -> np.ndarray:
    """The teacher's per-word distributions on the student's words, matched by character offsets.

    Identical pre-tokenization (e.g. two BERT-family tokenizers) maps word to word. Otherwise a student word
    takes the distribution of the teacher word containing its first character, with B-X moved to I-X when it
    starts inside that word (it continues the entity); a word no teacher word covers gets NaN (no target).
    """
    if teacher_doc.word_offsets == student_doc.word_offsets:
        return probs
    inside = np.array([labels.index("I-" + x[2:]) if x.startswith("B-") else i for i, x in enumerate(labels)])
    starts = [s for s, _ in teacher_doc.word_offsets]
    out = np.full((student_doc.n_words, len(labels)), np.nan, dtype=np.float32)
    for w, (start, _) in enumerate(student_doc.word_offsets):
        t = bisect.bisect_right(starts, start) - 1
        if t < 0 or teacher_doc.word_offsets[t][1] <= start:
            continue
        if starts[t] == start:
            out[w] = probs[t]
        else:
            out[w] = np.bincount(inside, weights=probs[t], minlength=len(labels))
    return out


def teacher_word_probabilities(
    teacher: SpanPredictor, student: Specialist, student_docs: Sequence[TokenizedDocument]
) -> list[np.ndarray]:
    """The teacher's distribution for every word of every document, computed once and kept in memory."""
    teacher = check_soft_labels(teacher, student.label_list)
    out: list[np.ndarray] = []
    for i in range(0, len(student_docs), PREDICT_CHUNK):
        chunk = student_docs[i : i + PREDICT_CHUNK]
        teacher_docs, probs = teacher.word_probabilities([d.text for d in chunk])
        out += [
            map_word_probabilities(t, p, s, student.label_list)
            for t, p, s in zip(teacher_docs, probs, chunk, strict=True)
        ]
    return out


def attach_teacher(
    features: Sequence[WindowFeatures], docs: Sequence[TokenizedDocument], word_probs: Sequence[np.ndarray]
) -> list[DistillationFeatures]:
    """Each window with the teacher's distributions at the positions of the words it holds (as gold labels)."""
    out = []
    for f in features:
        doc, probs = docs[f.doc_index], word_probs[f.doc_index]
        # Same words as the gold labels of build_features: every word whose first subword is in the window.
        lo = bisect.bisect_left(doc.word_starts, f.window.start)
        hi = bisect.bisect_left(doc.word_starts, f.window.end)
        rows = probs[lo:hi]
        keep = ~np.isnan(rows).any(axis=1)
        positions = [doc.word_starts[w] - f.window.start + 1 for w in range(lo, hi) if keep[w - lo]]
        window = {name: getattr(f, name) for name in WINDOW_FIELDS}
        out.append(DistillationFeatures(**window, teacher_positions=positions, teacher_probs=rows[keep]))
    return out


def unlabelled_features(
    specialist: Specialist, texts: Sequence[str]
) -> tuple[list[TokenizedDocument], list[WindowFeatures]]:
    """Windows with no gold label anywhere: unlabeled text teaches through the teacher only, never as 'O'."""
    docs = tokenize_texts(specialist.tokenizer, texts)
    s = specialist.settings
    features = build_features(
        docs, max_length=s.max_length, stride=s.stride, cls_id=s.cls_id, sep_id=s.sep_id, word_shapes=s.word_shapes
    )
    for f in features:
        f.label_ids = [IGNORE_INDEX] * len(f)  # pad_batch keeps labels only when every window has them
    return docs, features
