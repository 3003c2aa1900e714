"""PubTator files (NCBI-disease, BC5CDR originals): title, abstract, mentions and relations per PMID.

Per document::

    PMID|t|title
    PMID|a|abstract
    PMID<TAB>start<TAB>end<TAB>mention<TAB>type[<TAB>concept_id[<TAB>extra...]]
    PMID<TAB>CID<TAB>chemical-id<TAB>disease-id          (relation; any non-numeric second column)

The document text is ``title + " " + abstract`` (what the offsets count). A mention's concept id goes to
its span's ``kb_id`` exactly as written (composite ``D001|D002``/``D001+D002`` and ``-1`` included; an empty
or missing column gives ``None``) and also to ``meta["concepts"]`` as ``{"start", "end", "id"[, "extra"]}``
(which keeps the extra columns for writing back), relations to ``meta["relations"]`` as lists
of their columns, the PMID to ``meta["pmid"]`` and the title length to ``meta["title_length"]`` (so the
file can be written back). A PMID seen twice keeps its id for the first copy and gets ``PMID:2`` after.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats._base import ReadReport, atomic_write_text, log_repairs, read_text

_TITLE = re.compile(r"^([^|\t]+)\|([ta])\|(.*)$")
_KIND = {"t": "title", "a": "abstract"}


@dataclass
class _Block:
    pmid: str
    line: int
    title: str | None = None
    abstract: str | None = None
    mentions: list[tuple[int, list[str]]] = field(default_factory=list)
    relations: list[list[str]] = field(default_factory=list)


def read_pubtator(path: str | Path, *, report: ReadReport | None = None) -> list[Document]:
    """Read a PubTator file into one ``Document`` per abstract (id = PMID)."""
    path = Path(path)
    report = report if report is not None else ReadReport()
    before = Counter(report.repairs)
    seen: Counter[str] = Counter()
    docs = []
    for block in _blocks(path):
        seen[block.pmid] += 1
        doc_id = block.pmid if seen[block.pmid] == 1 else f"{block.pmid}:{seen[block.pmid]}"
        if seen[block.pmid] > 1:
            report.repair("duplicate PMID renamed", f"{path.name}:{block.line}: {block.pmid} -> {doc_id}")
        docs.append(_to_document(block, doc_id, path, report))
    report.files.append(str(path))
    report.documents += len(docs)
    report.spans += sum(len(d.spans) for d in docs)
    log_repairs(report, path, before)
    return docs


def _blocks(path: Path) -> list[_Block]:
    blocks: list[_Block] = []
    current: _Block | None = None
    for number, line in enumerate(read_text(path).split("\n"), 1):
        if not line.strip():
            current = None  # a blank line ends a document
            continue
        title = _TITLE.match(line)
        if title is not None:
            pmid, kind, content = title.groups()
            if current is None or current.pmid != pmid or getattr(current, _KIND[kind]) is not None:
                current = _Block(pmid, number)
                blocks.append(current)
            setattr(current, _KIND[kind], content)
            continue
        columns = line.split("\t")
        if current is None or columns[0] != current.pmid or len(columns) < 3:
            raise DataFormatError(
                f"line {line[:60]!r} does not belong to a document"
                + (f" (current PMID {current.pmid})" if current else ""),
                fix="each document starts with 'PMID|t|title' and its lines start with the same PMID",
                path=path,
                line=number,
            )
        if columns[1].isdigit():
            current.mentions.append((number, columns))
        else:
            current.relations.append(columns[1:])
    return blocks


def _to_document(block: _Block, doc_id: str, path: Path, report: ReadReport) -> Document:
    if block.title is None:
        raise DataFormatError(
            f"document {block.pmid} has no title line",
            fix="add a 'PMID|t|title' line before its abstract and mentions",
            path=path,
            line=block.line,
        )
    text = block.title if block.abstract is None else f"{block.title} {block.abstract}"
    spans: list[Span] = []
    concepts: list[dict[str, Any]] = []
    for number, columns in block.mentions:
        if len(columns) < 5 or not columns[2].isdigit():
            raise DataFormatError(
                f"mention line has {len(columns)} columns",
                fix="write 'PMID<TAB>start<TAB>end<TAB>mention<TAB>type[<TAB>concept id]'",
                path=path,
                line=number,
            )
        start, end, mention, label = int(columns[1]), int(columns[2]), columns[3], columns[4]
        if start <= end <= len(text) and text[start:end] != mention and text[start:end] == mention.strip():
            # NCBI-disease's train file has mentions with stray trailing blanks; the offsets are right.
            report.repair("mention column with extra whitespace", f"{path.name}:{number}: {mention!r}")
        elif not start <= end <= len(text) or text[start:end] != mention:
            raise DataFormatError(
                f"mention {mention!r} but text[{start}:{end}] is {text[start:end]!r}",
                fix="offsets count characters in title + ' ' + abstract; fix the offsets or the mention",
                path=path,
                line=number,
                field=f"PMID {block.pmid}",
            )
        kb_id = columns[5].strip() if len(columns) > 5 and columns[5].strip() else None
        spans.append(Span(start, end, label, kb_id=kb_id))
        if kb_id is not None:
            concept: dict[str, Any] = {"start": start, "end": end, "id": columns[5]}
            if len(columns) > 6:
                concept["extra"] = columns[6:] if len(columns) > 7 else columns[6]
            concepts.append(concept)
    meta: dict[str, Any] = {"pmid": block.pmid, "title_length": len(block.title)}
    if concepts:
        # Sorted like the spans, so that writing and reading back gives the same list.
        meta["concepts"] = sorted(concepts, key=lambda c: (c["start"], c["end"]))
    if block.relations:
        meta["relations"] = block.relations
    return Document(text, sorted(spans), id=doc_id, meta=meta)


def write_pubtator(docs: Iterable[Document], path: str | Path) -> None:
    """Write PubTator blocks; title/abstract split from ``meta["title_length"]`` (else all title)."""
    blocks = []
    for doc in docs:
        pmid = str(doc.meta.get("pmid") or doc.id or "")
        if not pmid or "|" in pmid or "\t" in pmid or any(c in doc.text for c in "\n\r"):
            raise DataFormatError(
                f"document {doc.id!r} has no usable PMID/id or its text has line breaks",
                fix="give each document an id without '|' or tabs, and replace newlines in the text",
                path=path,
            )
        cut = doc.meta.get("title_length")
        if isinstance(cut, int) and 0 <= cut < len(doc.text) and doc.text[cut] == " ":
            lines = [f"{pmid}|t|{doc.text[:cut]}", f"{pmid}|a|{doc.text[cut + 1 :]}"]
        else:
            lines = [f"{pmid}|t|{doc.text}"]
        unused = list(doc.meta.get("concepts") or [])
        for span in sorted(doc.spans):
            columns = [pmid, str(span.start), str(span.end), doc.span_text(span), span.label]
            match = next((c for c in unused if (c["start"], c["end"]) == (span.start, span.end)), None)
            if match is not None:
                unused.remove(match)
                written = str(match["id"])  # as read, blanks included, unless the span was relinked since
                columns.append(written if span.kb_id in (None, written.strip()) else span.kb_id)
                extra = match.get("extra")
                if extra is not None:
                    columns.extend(extra if isinstance(extra, list) else [str(extra)])
            elif span.kb_id is not None:  # e.g. linked by specialize link
                columns.append(span.kb_id)
            lines.append("\t".join(columns))
        lines.extend("\t".join([pmid, *map(str, rel)]) for rel in doc.meta.get("relations") or [])
        blocks.append("".join(line + "\n" for line in lines))
    atomic_write_text(path, "\n".join(blocks))
