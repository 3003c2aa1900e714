"""Entity linking (medical coding): mentions to knowledge-base concept ids such as MeSH.

A ``Linker`` is built from training documents whose spans carry ``kb_id`` (PubTator corpora: NCBI-disease,
BC5CDR): an exact dictionary of normalised mention strings, then nearest-neighbour similarity on a mention
encoder (all-MiniLM-L6-v2 or a specialist's encoder) for unseen strings. ``metrics`` scores mention-level
accuracy@1 and document-level code sets; ``ids`` documents how composite and ``-1`` ids are read.
"""

from specialize.linking.ids import code_set, is_correct, parse_ids
from specialize.linking.link import DEFAULT_ENCODER, link, train_linker
from specialize.linking.linker import Link, Linker, LinkerConfig, LinkMethod, SimilarityTarget
from specialize.linking.metrics import code_set_scores, mention_accuracy

__all__ = [
    "DEFAULT_ENCODER",
    "Link",
    "LinkMethod",
    "Linker",
    "LinkerConfig",
    "SimilarityTarget",
    "code_set",
    "code_set_scores",
    "is_correct",
    "link",
    "mention_accuracy",
    "parse_ids",
    "train_linker",
]
