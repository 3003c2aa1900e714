"""Export specialists and text classifiers to ONNX (fp32 or int8) with a per-type (per-label) accuracy check;
see ``exporter.export``.

torch, transformers and onnx are imported when an export runs, not when this package is imported.
"""

from specialize.export.check import CheckReport, ExportCheckFailed, format_check_report
from specialize.export.exporter import ExportResult, export

__all__ = ["CheckReport", "ExportCheckFailed", "ExportResult", "export", "format_check_report"]
