"""Concept ids as the corpora write them, and the conventions used to score them.

PubTator files (NCBI-disease, BC5CDR) give each mention a MeSH id (``D003920``, supplementary ``C531603``) or
an OMIM id (``OMIM:106210``, NCBI-disease), and also:

* composite ids: ``D001|D002`` (one mention naming several concepts: "breast and ovarian cancer"), and in
  NCBI-disease ``D001+D002`` (a concept only expressible as a combination);
* ``-1``: the annotators found no concept for the mention (BC5CDR), once even inside a composite
  (``D002544|-1``); blanks around ids occur too.

``parse_ids`` reads all of these as a tuple of single ids: ``|`` and ``+`` both separate, blanks are dropped,
``-1`` and empty parts are dropped, so ``-1`` alone (and a missing id) is the empty tuple.

Scoring conventions:

* accuracy@1 (``is_correct``): a prediction is correct when it names at least one id and every id it names
  is one of the gold ids. A single predicted id is correct if it is any part of a composite gold id, and a
  composite prediction (the linker returns a training mention's composite id as a whole) is correct if it is
  the gold id or a part of it. Gold mentions without any id are not scored (they are counted as skipped).
* code sets (``code_set``): the set of single ids of a document's mentions, composites split into their parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NO_CONCEPT = "-1"
_SEPARATOR = re.compile(r"[|+]")


def parse_ids(kb_id: str | None) -> tuple[str, ...]:
    """``"D001|D002"`` -> ``("D001", "D002")``; ``"D001+D002"`` likewise; ``"-1"``, ``""``, ``None`` -> ``()``."""
    if not kb_id:
        return ()
    parts = (part.strip() for part in _SEPARATOR.split(kb_id))
    return tuple(dict.fromkeys(p for p in parts if p and p != NO_CONCEPT))


def is_correct(predicted: str | None, gold: str | None) -> bool:
    """Accuracy@1 convention: the predicted ids are non-empty and all among the gold ids (see module doc)."""
    pred_ids = set(parse_ids(predicted))
    return bool(pred_ids) and pred_ids <= set(parse_ids(gold))


def code_set(kb_ids: Iterable[str | None]) -> set[str]:
    """The single ids named by a document's mentions (composites split, ``-1`` and missing ids dropped)."""
    return {one for kb_id in kb_ids for one in parse_ids(kb_id)}
