"""The model card as an HTML page (``GET /model-card?format=html``), rendered from its markdown here.

Model cards are the markdown specialize writes: headings, paragraphs, pipe tables, fenced code, bullet lists,
``code``, **bold** and [links](https://...). A small renderer covers exactly that, with no dependency: every
piece of text is HTML-escaped before any tag is added, raw HTML in the card shows as text, and a link is kept
only for http(s), mailto or in-page targets, so a card cannot run script in the server's origin. The YAML
front matter (metadata for model hubs) is shown as a small table.
"""

from __future__ import annotations

import html
import re

_INLINE = re.compile(r"`([^`]+)`|\*\*(.+?)\*\*|\[([^\]]+)\]\(([^)\s]+)\)")
_SAFE_URL = re.compile(r"^(https?://|mailto:|#)", re.I)
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
_LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.)\s+")

STYLE = (
    "body{font:15px/1.55 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}"
    "table{border-collapse:collapse;margin:.6em 0}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left}"
    "th{background:#f4f4f4}pre{background:#f6f8fa;padding:.7em;overflow:auto;border-radius:4px}"
    "code{background:#f6f8fa;padding:0 .2em;border-radius:3px}pre code{padding:0}"
    "table.meta{font-size:.85em;color:#555}h1{font-size:1.6em}h2{border-bottom:1px solid #ddd}"
)


def _inline(text: str) -> str:
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        code, bold, label, url = m.groups()
        if code is not None:
            out.append(f"<code>{html.escape(code)}</code>")
        elif bold is not None:
            out.append(f"<strong>{_inline(bold)}</strong>")
        elif _SAFE_URL.match(url):
            out.append(f'<a href="{html.escape(url, quote=True)}">{_inline(label)}</a>')
        else:
            out.append(html.escape(m.group(0)))
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _front_matter(lines: list[str]) -> tuple[str, list[str]]:
    if not lines or lines[0].strip() != "---" or "---" not in (line.strip() for line in lines[1:]):
        return "", lines
    end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    rows = "".join(
        f"<tr><th>{html.escape(k.strip())}</th><td>{html.escape(v.strip())}</td></tr>"
        for k, _, v in (line.partition(":") for line in lines[1:end] if line.strip())
    )
    return f"<table class='meta'>{rows}</table>", lines[end + 1 :]


def markdown_to_html(text: str) -> str:
    """The HTML body of a model card's markdown (see the module docstring for what is understood)."""
    meta, lines = _front_matter(text.splitlines())
    out = [meta] if meta else []
    paragraph: list[str] = []
    i = 0

    def flush() -> None:
        if paragraph:
            out.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()

    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip().startswith("```")), len(lines))
            out.append(f"<pre><code>{html.escape(chr(10).join(lines[i + 1 : end]))}</code></pre>")
            i = end + 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        if heading:
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif stripped.startswith("|") and i + 1 < len(lines) and _TABLE_RULE.match(lines[i + 1].strip()):
            flush()
            head = "".join(f"<th>{_inline(c)}</th>" for c in _cells(stripped))
            body, i = [], i + 2
            while i < len(lines) and lines[i].strip().startswith("|"):
                body.append("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in _cells(lines[i])) + "</tr>")
                i += 1
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
            continue
        elif _LIST_ITEM.match(line):
            flush()
            ordered = stripped[0].isdigit()
            items = []
            while i < len(lines) and _LIST_ITEM.match(lines[i]):
                items.append(f"<li>{_inline(_LIST_ITEM.sub('', lines[i], count=1))}</li>")
                i += 1
            tag = "ol" if ordered else "ul"
            out.append(f"<{tag}>{''.join(items)}</{tag}>")
            continue
        elif not stripped:
            flush()
        else:
            paragraph.append(stripped)
        i += 1
    flush()
    return "\n".join(out)


def model_card_page(name: str, text: str) -> str:
    """A whole, self-contained HTML page (inline CSS, nothing fetched) of the model card ``text``."""
    title = html.escape(name)
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}: model card</title>"
        f"<style>{STYLE}</style></head><body>{markdown_to_html(text)}</body></html>"
    )
