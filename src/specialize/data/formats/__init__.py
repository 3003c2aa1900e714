"""File formats: one module per format, each with ``read_*`` returning Documents and a ``write_*``."""

from specialize.data.formats._base import ReadReport
from specialize.data.formats.brat import Discontinuous, read_brat, write_brat
from specialize.data.formats.conll import TagScheme, read_conll, write_conll
from specialize.data.formats.jsonl import read_jsonl, write_jsonl
from specialize.data.formats.pubtator import read_pubtator, write_pubtator

__all__ = [
    "Discontinuous",
    "ReadReport",
    "TagScheme",
    "read_brat",
    "read_conll",
    "read_jsonl",
    "read_pubtator",
    "write_brat",
    "write_conll",
    "write_jsonl",
    "write_pubtator",
]
