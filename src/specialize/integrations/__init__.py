"""Specialists inside other tools' pipelines: spaCy (``specialize_ner`` component, DocBin, displaCy).

Nothing here is imported by the rest of the package; each module imports its tool (an optional extra).
"""
