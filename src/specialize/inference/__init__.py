"""The inference pipeline every model runs, preprocess -> forward -> postprocess: texts are cut into windows,
a model (torch, static, ONNX) turns a padded batch into scores, and the scores become spans or labels.

Only the forward step differs between models; these base classes hold the rest once, torch-free.
"""
