"""CoNLL/IOB column files: one token per line, token in the first column, tag in the last.

Blank lines separate sentences and ``-DOCSTART-`` lines separate documents. The sentence stays the unit:
each sentence becomes one ``Document`` whose text is the tokens joined by single spaces, with the token
boundaries kept in ``meta["tokens"]`` (``[[start, end], ...]``) so the file can be written back exactly and
``meta["doc_index"]`` (0-based) when the file has ``-DOCSTART-`` lines.

Tag schemes IOB1, IOB2 and BIOES/IOBES/BILOU are read (auto-detected by default); the writer emits IOB2
(or BIOES on request). Ill-formed sequences such as ``I-`` after ``O`` are read as the start of a new entity
and counted in the ``ReadReport`` (and logged), never fixed silently.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from pathlib import Path

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats._base import ReadReport, atomic_write_text, log_repairs, read_text
from specialize.errors import ConfigError

logger = logging.getLogger(__name__)

DOCSTART = "-DOCSTART-"
_TAG = re.compile(r"(?:O|([BIESLU])-(\S+))")
_COLUMNS = re.compile(r"[ \t]+")
# Characters that would break a written line or column; the writer never leaves them inside a token.
_BREAK = re.compile(r"[ \t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
_TOKEN = re.compile(r"[^ \t\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]+")
_BAD_TAG_FIX = "fix the tag or pass --format"
_BAD_TAG = "expected O, B-TYPE, I-TYPE (IOB1/IOB2) or S-/E- (BIOES)"


class TagScheme(StrEnum):
    AUTO = "auto"
    IOB1 = "iob1"
    IOB2 = "iob2"
    BIOES = "bioes"

    @classmethod
    def parse(cls, value: TagScheme | str) -> TagScheme:
        aliases = {"iobes": "bioes", "bilou": "bioes", "bio": "iob2", "iob": "iob2"}
        key = str(value).lower()
        try:
            return cls(aliases.get(key, key))
        except ValueError:
            choices = ", ".join([*(s.value for s in cls), *aliases])
            raise ConfigError(f"unknown tag scheme {value!r}; use one of: {choices}") from None


@dataclass
class _Sentence:
    tokens: list[str]
    tags: list[tuple[str | None, str | None]]  # (prefix B/I/E/S or None for O, type)
    lines: list[int]
    doc_index: int | None


def read_conll(
    path: str | Path,
    *,
    scheme: TagScheme | str = TagScheme.AUTO,
    token_column: int = 0,
    tag_column: int = -1,
    report: ReadReport | None = None,
) -> list[Document]:
    """Read a CoNLL/IOB file into one ``Document`` per sentence (ids ``<file stem>:<sentence number>``)."""
    path = Path(path)
    wanted = TagScheme.parse(scheme)
    report = report if report is not None else ReadReport()
    before = Counter(report.repairs)
    sentences = _parse(read_text(path), path, token_column, tag_column)
    used = _detect_scheme(sentences) if wanted is TagScheme.AUTO else wanted
    if used is not TagScheme.BIOES:
        _check_no_bioes(sentences, path, wanted)
    docs = [_to_document(s, used, f"{path.stem}:{n}", path, report) for n, s in enumerate(sentences, 1)]
    report.files.append(str(path))
    report.documents += len(docs)
    report.spans += sum(len(d.spans) for d in docs)
    report.scheme = used.value
    log_repairs(report, path, before)
    return docs


def _parse(text: str, path: Path, token_column: int, tag_column: int) -> list[_Sentence]:
    sentences: list[_Sentence] = []
    has_docstart = any(line.startswith(DOCSTART) for line in text.split("\n"))
    doc_index: int | None = 0 if has_docstart else None
    seen_docstart = False
    current = _Sentence([], [], [], doc_index)

    def flush() -> None:
        nonlocal current
        if current.tokens:
            sentences.append(current)
        current = _Sentence([], [], [], doc_index)

    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            flush()
            continue
        columns = _split_columns(line)
        if columns[0] == DOCSTART:
            flush()
            # The first DOCSTART opens document 0; sentences before any DOCSTART also belong to document 0.
            if seen_docstart or sentences:
                doc_index = (doc_index or 0) + 1
            seen_docstart = True
            current.doc_index = doc_index
            continue
        if len(columns) < 2:
            raise DataFormatError(
                f"line has {len(columns)} column: {line.strip()!r}",
                fix="write the token and its tag separated by a space or tab (blank line between "
                "sentences), or pass --format if this is not a CoNLL file",
                path=path,
                line=number,
            )
        try:
            token, tag = columns[token_column], columns[tag_column]
        except IndexError:
            raise DataFormatError(
                f"line has {len(columns)} columns, token_column={token_column}, tag_column={tag_column}",
                fix="fix the line or pass token_column/tag_column that exist on every line",
                path=path,
                line=number,
            ) from None
        current.tokens.append(token)
        current.tags.append(_parse_tag(tag, path, number))
        current.lines.append(number)
    flush()
    return sentences


def _split_columns(line: str) -> list[str]:
    stripped = line.strip(" \t\r")
    # Tab-separated files may have tokens with spaces; otherwise any run of spaces/tabs separates.
    if "\t" in stripped:
        return [c.strip(" ") for c in stripped.split("\t")]
    return _COLUMNS.split(stripped)


def _parse_tag(tag: str, path: Path, line: int) -> tuple[str | None, str | None]:
    match = _TAG.fullmatch(tag)
    if match is None:
        raise DataFormatError(f"tag {tag!r} is not IOB: {_BAD_TAG}", fix=_BAD_TAG_FIX, path=path, line=line)
    prefix, label = match.group(1), match.group(2)
    if prefix is None:
        return None, None
    # BILOU's L(ast)/U(nit) are BIOES's E(nd)/S(ingle).
    return {"L": "E", "U": "S"}.get(prefix, prefix), label


def _detect_scheme(sentences: list[_Sentence]) -> TagScheme:
    """BIOES if any E-/S- tag; IOB1 if entities start with I- and B- never follows O; else IOB2."""
    b_opens = i_opens = False
    for sentence in sentences:
        previous: tuple[str | None, str | None] = (None, None)
        for prefix, label in sentence.tags:
            if prefix in ("E", "S"):
                return TagScheme.BIOES
            continues = previous[0] in ("B", "I") and previous[1] == label
            if prefix == "B" and not continues:
                b_opens = True
            elif prefix == "I" and not continues:
                i_opens = True
            previous = (prefix, label)
    return TagScheme.IOB1 if i_opens and not b_opens else TagScheme.IOB2


def _check_no_bioes(sentences: list[_Sentence], path: Path, wanted: TagScheme) -> None:
    for sentence in sentences:
        for (prefix, label), line in zip(sentence.tags, sentence.lines, strict=True):
            if prefix in ("E", "S"):
                raise DataFormatError(
                    f"tag '{prefix}-{label}' is BIOES but the tag scheme is {wanted.value}",
                    fix="pass scheme='bioes' (or 'auto'), or fix the tag",
                    path=path,
                    line=line,
                )


def _decode(
    sentence: _Sentence, scheme: TagScheme, report: ReadReport, where: Callable[[int], str]
) -> list[tuple[int, int, str]]:
    """Token ranges ``(first, last + 1, type)`` of the entities of one sentence.

    ``where(line)`` names a line in repair examples.
    """
    entities: list[tuple[int, int, str]] = []
    start: int | None = None
    current: str | None = None
    open_bioes = False  # a BIOES entity that still waits for its E- tag

    def close(end: int) -> None:
        nonlocal start, current, open_bioes
        if start is not None and current is not None:
            if open_bioes:
                at = where(sentence.lines[end - 1])
                report.repair("BIOES entity without E-", f"{at}: {current} ends without E- tag")
            entities.append((start, end, current))
        start, current, open_bioes = None, None, False

    for i, (prefix, label) in enumerate(sentence.tags):
        line = sentence.lines[i]
        continues = current is not None and current == label
        if prefix is None:
            close(i)
        elif prefix == "S":
            close(i)
            entities.append((i, i + 1, label or ""))
        elif prefix == "B" or (prefix == "I" and not continues) or (prefix == "E" and not continues):
            close(i)
            if prefix != "B" and scheme is not TagScheme.IOB1:
                kind = f"{prefix}- tag opening an entity"
                after = _tag_text(sentence.tags[i - 1]) if i else "sentence start"
                report.repair(kind, f"{where(line)}: {prefix}-{label} after {after}")
            start, current = i, label
            open_bioes = scheme is TagScheme.BIOES and prefix != "E"
            if prefix == "E":
                close(i + 1)
        elif prefix == "E":
            open_bioes = False
            close(i + 1)
        # prefix "I" that continues: nothing to do
    close(len(sentence.tags))
    return entities


def _tag_text(tag: tuple[str | None, str | None]) -> str:
    return "O" if tag[0] is None else f"{tag[0]}-{tag[1]}"


def _to_document(sentence: _Sentence, scheme: TagScheme, doc_id: str, path: Path, report: ReadReport) -> Document:
    offsets: list[list[int]] = []
    position = 0
    for token in sentence.tokens:
        offsets.append([position, position + len(token)])
        position += len(token) + 1

    def where(line: int) -> str:
        return f"{path.name}:{line} ({doc_id})"

    spans = [
        Span(offsets[first][0], offsets[last - 1][1], label)
        for first, last, label in _decode(sentence, scheme, report, where)
    ]
    meta: dict[str, object] = {}
    if sentence.doc_index is not None:
        meta["doc_index"] = sentence.doc_index
    meta["tokens"] = offsets
    return Document(" ".join(sentence.tokens), sorted(spans), id=doc_id, meta=meta)


# --------------------------------------------------------------------------------------------- writing


def write_conll(
    docs: Iterable[Document], path: str | Path, *, scheme: TagScheme | str = TagScheme.IOB2, sep: str = " "
) -> None:
    """Write ``token<sep>TAG`` lines, one sentence per document, ``-DOCSTART-`` where ``doc_index`` changes.

    Tokens come from ``meta["tokens"]`` when present (else whitespace), split further where a span
    boundary falls inside a token. Overlapping spans cannot be expressed in IOB and raise an error.
    """
    wanted = TagScheme.parse(scheme)
    if wanted not in (TagScheme.IOB2, TagScheme.BIOES):
        raise ValueError(f"write_conll writes iob2 or bioes, not {wanted.value}")
    blocks: list[str] = []
    previous_doc: object = None
    stats: Counter[str] = Counter()
    for doc in docs:
        lines = conll_lines(doc, wanted, sep, stats, path)
        doc_index = doc.meta.get("doc_index")
        if doc_index is not None and doc_index != previous_doc:
            blocks.append(f"{DOCSTART}{sep}O\n")
            previous_doc = doc_index
        if not lines:
            stats["empty documents skipped"] += 1
            continue
        blocks.append("".join(line + "\n" for line in lines))
    for what, n in stats.items():
        logger.warning("%s: %d %s", path, n, what)
    atomic_write_text(path, "\n".join(blocks))


def conll_lines(
    doc: Document,
    scheme: TagScheme = TagScheme.IOB2,
    sep: str = " ",
    stats: Counter[str] | None = None,
    path: str | Path | None = None,
) -> list[str]:
    """The ``token<sep>TAG`` lines of one document (no trailing blank line)."""
    stats = stats if stats is not None else Counter()
    where = f"document {doc.id}" if doc.id is not None else "document"
    spans = sorted(doc.spans)
    for a, b in pairwise(spans):
        if b.start < a.end:
            raise DataFormatError(
                f"spans {a.label} [{a.start}:{a.end}] and {b.label} [{b.start}:{b.end}] overlap",
                fix="IOB cannot express overlaps: resolve them first with "
                "specialize.data.validation.resolve_overlaps(doc, 'keep_longest')",
                path=path,
                field=where,
            )
    for span in spans:
        if not 0 <= span.start < span.end <= len(doc.text) or _BREAK.search(span.label):
            raise DataFormatError(
                f"span {span.label!r} [{span.start}:{span.end}] is empty, out of range or has a label with whitespace",
                fix="run specialize.data.validation.validate_spans and fix or drop the span",
                path=path,
                field=where,
            )
    tokens = _tokens(doc, spans, stats)
    tags = ["O"] * len(tokens)
    for span in spans:
        inside = [i for i, (s, e) in enumerate(tokens) if s >= span.start and e <= span.end]
        if not inside:
            raise DataFormatError(
                f"span {span.label} [{span.start}:{span.end}] {doc.span_text(span)!r} covers no token",
                fix="drop whitespace-only spans before writing CoNLL",
                path=path,
                field=where,
            )
        if tokens[inside[0]][0] != span.start or tokens[inside[-1]][1] != span.end:
            stats["spans trimmed to token boundaries (leading/trailing whitespace)"] += 1
        for k, i in enumerate(inside):
            tags[i] = f"{_prefix(scheme, k, len(inside))}-{span.label}"
    return [f"{doc.text[s:e]}{sep}{tag}" for (s, e), tag in zip(tokens, tags, strict=True)]


def _prefix(scheme: TagScheme, position: int, length: int) -> str:
    if scheme is TagScheme.BIOES:
        if length == 1:
            return "S"
        return "B" if position == 0 else ("E" if position == length - 1 else "I")
    return "B" if position == 0 else "I"


def _tokens(doc: Document, spans: list[Span], stats: Counter[str]) -> list[tuple[int, int]]:
    """Token offsets: ``meta["tokens"]`` if usable, split at span boundaries and line-breaking characters."""
    base = _meta_tokens(doc)
    if base is None:
        base = [(m.start(), m.end()) for m in _TOKEN.finditer(doc.text)]
    cuts = {s.start for s in spans} | {s.end for s in spans}
    out: list[tuple[int, int]] = []
    for start, end in base:
        inner = sorted(c for c in cuts if start < c < end)
        bounds = [start, *inner, end]
        if inner:
            stats["tokens split at span boundaries"] += 1
        for a, b in pairwise(bounds):
            out.extend((a + m.start(), a + m.end()) for m in _TOKEN.finditer(doc.text[a:b]))
    return out


def _meta_tokens(doc: Document) -> list[tuple[int, int]] | None:
    raw = doc.meta.get("tokens")
    if not isinstance(raw, list):
        return None
    tokens: list[tuple[int, int]] = []
    previous_end = 0
    for item in raw:
        if not (isinstance(item, list | tuple) and len(item) == 2 and all(isinstance(x, int) for x in item)):
            return None
        start, end = int(item[0]), int(item[1])
        # Stale token offsets (text edited after reading) are ignored rather than trusted.
        if not previous_end <= start < end <= len(doc.text):
            return None
        tokens.append((start, end))
        previous_end = end
    return tokens
