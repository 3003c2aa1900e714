"""Torch-free inference: exported span models and text classifiers run with onnxruntime and tokenizers.

Nothing here (or in what it imports) may import torch or transformers; tests/runtime checks it in a fresh
interpreter.
"""

from specialize.runtime.onnx import OnnxClassifier, OnnxModel, OnnxPredictor, load_exported

__all__ = ["OnnxClassifier", "OnnxModel", "OnnxPredictor", "load_exported"]
