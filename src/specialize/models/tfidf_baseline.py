"""The classic baseline for text classification: TF-IDF features and logistic regression (scikit-learn).

Word 1-2-grams (sublinear tf, min_df 2) into one logistic regression (single-label, multinomial) or one per
label (multi-label, one-vs-rest, a label predicted at probability >= ``threshold``). Class weights are
balanced, as is usual for skewed label sets. It reads whole texts (no length limit), trains in seconds and is
the bar a transformer classifier has to clear. ``pip install 'specialize[baseline]'``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from specialize.data.classification import LabelledText, is_multi_label, label_set
from specialize.utils.optional import require

logger = logging.getLogger(__name__)


class TfidfBaseline:
    """``fit`` on labelled texts, then ``predict`` label lists like a :class:`TextClassifier`."""

    task = "classification"

    def __init__(self, name: str = "tfidf-logreg", *, threshold: float = 0.5, c: float = 10.0, seed: int = 0):
        self.name = name
        self.threshold = threshold
        self.c = c
        self.seed = seed
        self.label_list: list[str] = []
        self.multi_label = False
        self.fit_seconds = 0.0
        self._pipeline: Any = None

    @property
    def labels(self) -> list[str]:
        return list(self.label_list)

    def fit(self, texts: Sequence[LabelledText], multi_label: bool | None = None) -> TfidfBaseline:
        require("sklearn", "baseline", "scikit-learn")
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline

        start = time.perf_counter()
        self.multi_label = is_multi_label(texts) if multi_label is None else multi_label
        self.label_list = label_set(texts)
        index = {label: i for i, label in enumerate(self.label_list)}
        # liblinear (dual coordinate descent) fits one sparse binary problem in well under a second; lbfgs
        # needed minutes per label on 200k n-gram features. Multinomial single-label fits keep lbfgs.
        solver = "liblinear" if self.multi_label else "lbfgs"
        logreg = LogisticRegression(
            C=self.c, max_iter=1000, class_weight="balanced", solver=solver, random_state=self.seed
        )
        if self.multi_label:
            y: Any = np.zeros((len(texts), len(self.label_list)), dtype=np.int64)
            for row, t in enumerate(texts):
                y[row, [index[label] for label in t.labels]] = 1
            estimator: Any = OneVsRestClassifier(logreg)
        else:
            y = np.array([index[t.labels[0]] for t in texts])
            estimator = logreg
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000)
        self._pipeline = make_pipeline(vectorizer, estimator).fit([t.text for t in texts], y)
        self.fit_seconds = time.perf_counter() - start
        logger.info("%s: fitted on %d texts in %.1f s", self.name, len(texts), self.fit_seconds)
        return self

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        if self._pipeline is None:
            raise ValueError(f"{self.name} is not fitted: call fit() first")
        probabilities: np.ndarray = self._pipeline.predict_proba(list(texts))
        return probabilities

    def predict(self, texts: Sequence[str]) -> list[list[str]]:
        probabilities = self.predict_proba(texts)
        if self.multi_label:
            return [[self.label_list[j] for j in np.flatnonzero(row >= self.threshold)] for row in probabilities]
        return [[self.label_list[int(np.argmax(row))]] for row in probabilities]
