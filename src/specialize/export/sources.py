"""What ``export`` needs to know about the model it exports: a span specialist or a text classifier.

The exporter (folder handling, tracing, numeric comparison, quantization, reports) is the same for both tasks;
only these differ: how the torch model is loaded and cuts text into windows, what the check data is and how it
is scored, and which torch-free runtime reads the exported folder. Each task is one small class here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from specialize.data.classification import LabelledText
from specialize.data.document import Document
from specialize.data.features import WindowFeatures
from specialize.data.io import read_documents, read_labelled
from specialize.data.validation import check_gold
from specialize.export.check import CheckReport, compare_label_predictions, compare_predictions

CheckData = Sequence[Document] | Sequence[LabelledText] | str | Path


class ExportSource(Protocol):
    """A loaded torch model and everything task-specific about exporting it."""

    task: str  # "span" or "classification", written to export.json
    model: Any  # the transformers module that is traced
    pad_id: int
    runtime: str  # the class in specialize.runtime that runs the exported folder
    usage: str  # one line of Python for the model card, with THIS_FOLDER for the folder

    def windows(self, texts: Sequence[str]) -> list[WindowFeatures]: ...

    def read_check(self, check: CheckData) -> list[Any]: ...

    def texts(self, gold: Sequence[Any]) -> list[str]: ...

    def load_exported(self, folder: Path, name: str) -> Any: ...

    def compare(
        self,
        gold: Sequence[Any],
        exported: Any,
        *,
        max_f1_drop: float,
        max_recall_drop: float | Mapping[str, float] | None,
    ) -> CheckReport: ...


class _Source:
    """What both tasks share: ``inner`` is the loaded torch predictor (span specialist or text classifier)."""

    inner: Any
    runtime: str
    item: type  # what the check data is made of
    reader: Any  # reads the check data from a file or dataset name

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.inner.model.eval()
        self.model = inner.model
        self.pad_id: int = inner.settings.pad_id

    def texts(self, gold: Sequence[Any]) -> list[str]:
        return [item.text for item in gold]

    def read_check(self, check: CheckData) -> list[Any]:
        if isinstance(check, str | Path):
            return self.validated(list(self.reader(check)), check)
        # A classifier checked on span documents (or the reverse) would fail later, less clearly.
        wrong = sorted({type(x).__name__ for x in check if not isinstance(x, self.item)})
        if wrong:
            raise TypeError(
                f"check data for this model must be {self.item.__name__} objects, a file or a dataset name; got {wrong}"
            )
        return self.validated(list(check), None)

    def validated(self, gold: list[Any], source: str | Path | None) -> list[Any]:
        return gold

    def load_exported(self, folder: Path, name: str) -> Any:
        import specialize.runtime

        return getattr(specialize.runtime, self.runtime).load(folder, name=name)

    def compare(
        self,
        gold: Sequence[Any],
        exported: Any,
        *,
        max_f1_drop: float,
        max_recall_drop: float | Mapping[str, float] | None,
    ) -> CheckReport:
        """Predict the gold texts with the source and the export, and score both against the gold."""
        texts = self.texts(gold)
        return self._score(
            gold,
            self.inner.predict(texts),
            exported.predict(texts),
            max_f1_drop=max_f1_drop,
            max_recall_drop=max_recall_drop,
        )

    def _score(self, gold: Sequence[Any], source: Any, exported: Any, **limits: Any) -> CheckReport:
        raise NotImplementedError


class SpanSource(_Source):
    """A token-classification specialist; checked per entity type on gold documents."""

    task = "span"
    runtime = "OnnxPredictor"
    item = Document
    reader = staticmethod(read_documents)
    usage = 'spans = OnnxPredictor.load("THIS_FOLDER", threads=1).predict(["some text"])'

    def __init__(self, path: Path) -> None:
        from specialize.models.resolve import load_folder

        super().__init__(load_folder(path))

    def windows(self, texts: Sequence[str]) -> list[WindowFeatures]:
        return list(self.inner.preprocess(texts)[1])

    def validated(self, gold: list[Any], source: str | Path | None) -> list[Any]:
        check_gold(gold, source, role="export --check")
        return gold

    def _score(self, gold: Sequence[Document], source: Any, exported: Any, **limits: Any) -> CheckReport:
        return compare_predictions(gold, source, exported, **limits)


class ClassifierSource(_Source):
    """A text classifier (single- or multi-label); checked per label on labelled texts."""

    task = "classification"
    runtime = "OnnxClassifier"
    item = LabelledText
    reader = staticmethod(read_labelled)
    usage = 'labels = OnnxClassifier.load("THIS_FOLDER", threads=1).predict(["some text"])'

    def __init__(self, path: Path) -> None:
        from specialize.models.resolve import load_folder

        super().__init__(load_folder(path))

    def windows(self, texts: Sequence[str]) -> list[WindowFeatures]:
        return list(self.inner.preprocess(texts))

    def _score(self, gold: Sequence[LabelledText], source: Any, exported: Any, **limits: Any) -> CheckReport:
        return compare_label_predictions([t.labels for t in gold], source, exported, **limits)


def load_source(path: Path) -> ExportSource:
    """The export source for a folder written by ``specialize train``: classifier or span specialist."""
    from specialize.data.model_folder import CLASSIFICATION_TASK, FolderKind, read_model_folder
    from specialize.errors import ModelFolderError

    folder = read_model_folder(path)
    if folder.kind is FolderKind.ONNX:
        raise ModelFolderError(f"{path} is already an export (model.onnx); export the torch folder it came from")
    if folder.task == CLASSIFICATION_TASK:
        return ClassifierSource(path)
    return SpanSource(path)
