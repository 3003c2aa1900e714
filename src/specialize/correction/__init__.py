"""The correction loop: pick the documents a model is least sure of, have people correct them in Label Studio
or Prodigy, and train on their corrections in place of the silver labels.

``select_documents`` / ``export_selection`` (here) pick and write tasks; the data side (task files, reading the
tools' exports, merging corrected over silver documents) is :mod:`specialize.data.corrections`.
"""

from __future__ import annotations

from specialize.correction.select import STRATEGIES, Selection, export_selection, select_documents

__all__ = ["STRATEGIES", "Selection", "export_selection", "select_documents"]
