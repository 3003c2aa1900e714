"""Torch-free inference: exported specialists and text classifiers run with onnxruntime and tokenizers.

Nothing here (or in what it imports) may import torch or transformers; tests/runtime checks it in a fresh
interpreter.
"""

from specialize.runtime.onnx_classifier import OnnxClassifier
from specialize.runtime.onnx_predictor import OnnxPredictor

__all__ = ["OnnxClassifier", "OnnxPredictor"]
