"""``specialize augment``: labelled copies of training data with mentions swapped (specialize.data.mention_swap),
written to a folder the command claims first, as train claims its own."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from specialize.data.files import write_documents
from specialize.data.io import read_documents
from specialize.data.mention_swap import Augmented, MentionSwap, swap_mentions
from specialize.errors import DataError
from specialize.utils.output_folder import claim_output

AUGMENTED_FILE = "augmented.jsonl"
REPORT_FILE = "augment.json"


def augment(
    sources: Sequence[str], output: str | Path, settings: MentionSwap, *, overwrite: bool = False,
    command: str | None = None,
) -> tuple[Path, Augmented]:  # fmt: skip
    """Read ``sources`` (files or dataset names, in order), write their copies to ``output/augmented.jsonl`` and
    what was done to ``output/augment.json``; the folder is claimed first, as train claims its own."""
    claim = claim_output(output, "augment", overwrite=overwrite, sources=list(sources))
    documents = [doc for source in sources for doc in read_documents(source)]
    if not any(doc.spans for doc in documents):
        raise DataError(f"no labelled spans in {', '.join(sources)}: mention replacement needs annotated data")
    result = swap_mentions(documents, settings)
    report = {"sources": list(sources), **asdict(settings), **result.summary(), "command": command}
    with claim.writing() as folder:
        write_documents(result.documents, folder / AUGMENTED_FILE)
        (folder / REPORT_FILE).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return Path(output), result
