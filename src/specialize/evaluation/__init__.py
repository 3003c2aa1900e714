"""Evaluation: strict span metrics with bootstrap CIs, error breakdown, side-by-side model comparison.

Submodules are imported on use (``specialize.evaluation.span_metrics``, ``.error_analysis``, ``.evaluate``)
so that importing this package stays cheap.
"""
