"""brat standoff: a ``.txt`` file plus an ``.ann`` file per document, usually many pairs in a folder.

Only text-bound annotations (``T`` lines: ``T1<TAB>TYPE start end<TAB>text``) become spans. Relations,
events, attributes, normalisations, notes and equivalences (``R E A M N # *`` lines) are not spans; they are
skipped and counted in ``ReadReport.ignored``.

Discontinuous annotations (``TYPE 0 5;10 15``) cannot be one ``Span``. ``discontinuous="error"`` (default)
raises, naming the line; ``"split"`` turns every fragment into its own span with the same label (counted
in ``ReadReport.repairs``), which is what flat NER evaluation usually wants.

Offsets are character offsets into the ``.txt`` read without newline translation (``\\r`` counts), and
every annotation's text is checked against the ``.txt``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from enum import StrEnum
from pathlib import Path

from specialize.data.document import Document, Span
from specialize.data.errors import DataFormatError
from specialize.data.formats._base import ReadReport, atomic_write_text, log_repairs, read_text

_FRAGMENT = re.compile(r"(\d+) (\d+)")
_IGNORED_PREFIXES = ("R", "E", "A", "M", "N", "#", "*")
_UNSAFE_NAME = re.compile(r"[^\w.\-]+")


class Discontinuous(StrEnum):
    ERROR = "error"
    SPLIT = "split"


def brat_pairs(path: str | Path) -> list[tuple[Path, Path]]:
    """``(txt, ann)`` pairs of a folder (sorted by name) or of a single ``.txt``/``.ann`` file."""
    path = Path(path)
    if path.is_dir():
        texts = sorted(path.glob("*.txt"))
        anns = {p.stem for p in path.glob("*.ann")}
        orphans = sorted(anns - {p.stem for p in texts})
        if orphans:
            raise DataFormatError(
                f"{len(orphans)} .ann file(s) without a .txt, e.g. {orphans[0]}.ann",
                fix="put the matching .txt next to each .ann (brat needs both)",
                path=path,
            )
    else:
        texts = [path.with_suffix(".txt")]
    pairs = []
    for txt in texts:
        ann = txt.with_suffix(".ann")
        if not ann.exists() or not txt.exists():
            missing = ann if not ann.exists() else txt
            raise DataFormatError(
                f"{missing.name} is missing",
                fix="every brat document needs both a .txt and an .ann file (an empty .ann is fine)",
                path=missing,
            )
        pairs.append((txt, ann))
    return pairs


def read_brat(
    path: str | Path,
    *,
    discontinuous: Discontinuous | str = Discontinuous.ERROR,
    report: ReadReport | None = None,
) -> list[Document]:
    """Read a brat folder (or one ``.txt``/``.ann`` pair); document ids are the file stems."""
    policy = Discontinuous(discontinuous)
    report = report if report is not None else ReadReport()
    before = Counter(report.repairs)
    docs = [read_brat_pair(txt, ann, policy, report) for txt, ann in brat_pairs(path)]
    log_repairs(report, path, before)
    return docs


def read_brat_pair(
    txt: Path, ann: Path, discontinuous: Discontinuous | str, report: ReadReport | None = None
) -> Document:
    policy = Discontinuous(discontinuous)
    report = report if report is not None else ReadReport()
    text = read_text(txt, exact=True)
    spans: list[Span] = []
    # Split on "\n" only: annotation text may contain characters that str.splitlines() treats as breaks.
    for number, raw in enumerate(read_text(ann).split("\n"), 1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        if line[0] in _IGNORED_PREFIXES:
            report.ignored[f"{line[0]} lines"] += 1
            continue
        if not line.startswith("T"):
            raise DataFormatError(
                f"unknown annotation line {line[:40]!r}",
                fix="brat lines start with T, R, E, A, M, N, # or *; fix or remove the line",
                path=ann,
                line=number,
            )
        spans.extend(_text_bound(line, text, ann, number, policy, report))
    report.files.append(str(ann))
    report.documents += 1
    report.spans += len(spans)
    return Document(text, sorted(spans), id=txt.stem)


def _text_bound(line: str, text: str, ann: Path, number: int, policy: Discontinuous, report: ReadReport) -> list[Span]:
    parts = line.split("\t")
    if len(parts) < 3 or " " not in parts[1]:
        raise DataFormatError(
            f"malformed T line {line[:60]!r}",
            fix="write it as 'T1<TAB>TYPE start end<TAB>text'",
            path=ann,
            line=number,
        )
    label, offsets = parts[1].split(" ", 1)
    field = parts[0]
    fragments: list[tuple[int, int]] = []
    for piece in offsets.split(";"):
        match = _FRAGMENT.fullmatch(piece.strip())
        if match is None:
            raise DataFormatError(
                f"offsets {offsets!r} are not 'start end[;start end...]'",
                fix="write integer character offsets",
                path=ann,
                line=number,
                field=field,
            )
        start, end = int(match.group(1)), int(match.group(2))
        if not 0 <= start <= end <= len(text):
            raise DataFormatError(
                f"span [{start}:{end}] is outside the .txt (length {len(text)})",
                fix="make sure the .ann belongs to this .txt and counts characters, not bytes",
                path=ann,
                line=number,
                field=field,
            )
        fragments.append((start, end))
    # brat joins the fragments of a discontinuous annotation with a space; newlines may appear as spaces.
    expected = " ".join(text[s:e] for s, e in fragments)
    written = "\t".join(parts[2:])
    if _loose(expected) != _loose(written):
        raise DataFormatError(
            f"annotation text {written!r} but the .txt has {expected!r} at {offsets}",
            fix="fix the offsets or the text (is the .txt the one the .ann was made for? CRLF vs LF?)",
            path=ann,
            line=number,
            field=field,
        )
    if len(fragments) > 1:
        if policy is Discontinuous.ERROR:
            raise DataFormatError(
                f"discontinuous annotation {label} {offsets}",
                fix="pass discontinuous='split' to read each fragment as its own span",
                path=ann,
                line=number,
                field=field,
            )
        report.repair("discontinuous annotation split", f"{ann.name}:{number}: {label} {offsets}")
    return [Span(s, e, label) for s, e in fragments]


def _loose(value: str) -> str:
    return value.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def write_brat(docs: Iterable[Document], folder: str | Path) -> None:
    """Write ``<id>.txt`` and ``<id>.ann`` per document into ``folder`` (ids made file-name safe)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    used: dict[str, str | None] = {}
    for index, doc in enumerate(docs):
        name = _UNSAFE_NAME.sub("_", doc.id) if doc.id else f"doc{index + 1:05d}"
        if name in used:
            raise DataFormatError(
                f"documents {used[name]!r} and {doc.id!r} would both be written as {name}.txt",
                fix="give documents unique ids before writing brat",
                path=folder,
            )
        used[name] = doc.id
        lines = []
        for number, span in enumerate(sorted(doc.spans), 1):
            if not 0 <= span.start <= span.end <= len(doc.text) or not span.label or " " in span.label:
                raise DataFormatError(
                    f"span {span.label!r} [{span.start}:{span.end}] is out of range or its label has spaces",
                    fix="fix the span (brat types cannot contain spaces)",
                    path=folder / f"{name}.ann",
                    field=f"document {doc.id}",
                )
            lines.append(f"T{number}\t{span.label} {span.start} {span.end}\t{_loose(doc.span_text(span))}\n")
        atomic_write_text(folder / f"{name}.txt", doc.text)
        atomic_write_text(folder / f"{name}.ann", "".join(lines))
