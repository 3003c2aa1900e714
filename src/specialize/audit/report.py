"""The audit as a text table (CLI) and as the "## Bias audit" section of a model folder's README.md."""

from __future__ import annotations

import os
import re
from pathlib import Path

from specialize.audit.audit import AuditResult, Gap, GroupScores
from specialize.errors import InputNotFoundError

SECTION_TITLE = "## Bias audit"
_COLUMNS = (("per_recall", "PER recall"), ("per_f1", "PER F1"), ("recall", "recall (all)"), ("f1", "F1 (all)"))


def _cell(group: GroupScores, metric: str) -> str:
    value, ci = group.values[metric], group.intervals.get(metric)
    return f"{value:.3f}" if ci is None else f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def _gap_text(gap: Gap) -> str:
    ci = "" if gap.interval is None else f", paired 95% CI [{gap.interval[0]:+.3f}, {gap.interval[1]:+.3f}]"
    return f"{gap.value:.3f} ({gap.best} vs {gap.worst}{ci})"


def _summary(result: AuditResult) -> str:
    replaced = result.groups[0].replaced if result.groups else 0
    kept = result.groups[0].kept if result.groups else 0
    return (
        f"{result.n_docs} documents, {result.n_docs_with_persons} naming someone; {replaced} person spans "
        f"({'/'.join(result.person_labels)}) replaced per group"
        + (f", {kept} left as written (they overlap another span)" if kept else "")
        + f"; seed {result.seed}"
    )


def format_audit(result: AuditResult) -> str:
    """Plain-text table: one row per group (original first), then the largest gap of each metric."""
    rows = [[g.group, *(_cell(g, m) for m, _ in _COLUMNS)] for g in [result.original, *result.groups]]
    header = ["group", *(title for _, title in _COLUMNS)]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        return "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in pairs)

    ci_note = f"95% bootstrap CI over documents, {result.n_bootstrap} resamples" if result.n_bootstrap else "no CIs"
    lines = [
        f"Bias audit of {result.model} on {result.data}: {_summary(result)}",
        f"Strict span match; {ci_note}",
        line(header),
        "  ".join("-" * w for w in widths),
        *(line(r) for r in rows),
        "",
        "Largest gap between groups:",
        *(f"  {dict(_COLUMNS)[g.metric]:<13} {_gap_text(g)}" for g in result.gaps),
        "PER F1 by gender: " + ", ".join(f"{k} {v:.3f}" for k, v in result.by_gender.items()),
        "PER F1 by origin: " + ", ".join(f"{k} {v:.3f}" for k, v in result.by_origin.items()),
    ]
    return "\n".join(lines)


def audit_markdown(result: AuditResult, command: str | None = None) -> str:
    """The model card section: what was swapped, the per-group table and the largest gaps."""
    lines = [
        SECTION_TITLE,
        "",
        f"Person names in `{result.data}` swapped for names of each group (given names by origin and gender, "
        "surnames by origin, written by the project: `specialize.audit.names`), everything else unchanged; "
        f"{_summary(result)}. Strict span match, 95% bootstrap confidence intervals over documents.",
        "",
        "| group | " + " | ".join(title for _, title in _COLUMNS) + " |",
        "|---|" + "---|" * len(_COLUMNS),
    ]
    for g in [result.original, *result.groups]:
        name = f"{g.group} (as written)" if g is result.original else g.group
        lines.append(f"| {name} | " + " | ".join(_cell(g, m) for m, _ in _COLUMNS) + " |")
    lines += ["", f"Largest gap in PER F1: **{_gap_text(result.largest_gap)}**; in PER recall: "]
    lines[-1] += _gap_text(next(g for g in result.gaps if g.metric == "per_recall")) + "."
    lines += [
        "",
        "PER F1 by gender: "
        + ", ".join(f"{k} {v:.3f}" for k, v in result.by_gender.items())
        + "; by origin: "
        + ", ".join(f"{k} {v:.3f}" for k, v in result.by_origin.items())
        + ".",
    ]
    if command:
        lines += ["", f"Command: `{command}`"]
    return "\n".join(lines) + "\n"


def update_model_card(folder: str | Path, result: AuditResult, command: str | None = None) -> Path:
    """Write the audit into ``folder/README.md``: replace an earlier "## Bias audit" section, else append one."""
    card = Path(folder) / "README.md"
    if not card.is_file():
        raise InputNotFoundError(
            f"{card} does not exist: --update-card needs a model folder with a model card "
            "(written by specialize train, distill or export)"
        )
    text = card.read_text(encoding="utf-8")
    section = audit_markdown(result, command)
    # The section runs to the next level-2 heading or the end of the file.
    pattern = re.compile(rf"^{re.escape(SECTION_TITLE)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1).rstrip("\n") + "\n"
    else:
        text = text.rstrip("\n") + "\n\n" + section
    # Written beside and renamed over the card: a crash mid-write must not leave half a model card. Nothing else
    # in the folder is touched.
    partial = card.with_name(f".{card.name}.audit-tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, card)
    finally:
        partial.unlink(missing_ok=True)
    return card
