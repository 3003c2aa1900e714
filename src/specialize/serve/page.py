"""The demo page served at ``GET /``: self-contained (inline CSS and JS, nothing fetched from elsewhere).

User text is only ever put into the page with ``textContent``, never as HTML. Span offsets count Unicode code
points (Python string indices) while JavaScript strings count UTF-16 units, so the text is split into code
points (``Array.from``) before slicing; otherwise every emoji would shift the highlights after it.
"""

INDEX_HTML = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>specialize</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 56em; margin: 2em auto; padding: 0 1em; color: #222; }
  header { display: flex; align-items: baseline; gap: 1em; flex-wrap: wrap; }
  h1 { font-size: 1.3em; margin: 0; }
  #info { color: #666; font-size: .9em; }
  textarea { width: 100%; min-height: 9em; font: inherit; padding: .5em; box-sizing: border-box; }
  button { font: inherit; padding: .4em 1.2em; margin: .5em 0; cursor: pointer; }
  #status { color: #666; margin-left: 1em; }
  #status.error { color: #b00020; }
  #result { white-space: pre-wrap; border: 1px solid #ddd; border-radius: 4px; padding: .8em; min-height: 3em;
            line-height: 2.1; }
  mark { border-radius: 3px; padding: .1em .25em; background: hsl(var(--h), 80%, 85%); }
  mark small { font-size: .7em; font-weight: 600; margin-left: .3em; color: hsl(var(--h), 60%, 25%); }
  a { color: #0645ad; }
</style>
</head>
<body>
<header>
  <h1>specialize</h1>
  <span id="info">loading model information...</span>
  <a href="/model-card?format=html">model card</a>
  <a href="/report">report</a>
  <a href="/docs">API docs</a>
</header>
<p>Paste text and find its entities.</p>
<textarea id="text" placeholder="Obama visited Paris.">Obama visited Paris.</textarea>
<div><button id="go">Find entities</button><span id="status"></span></div>
<div id="result"></div>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const hues = {};
function hue(label) {
  if (!(label in hues)) {
    let h = 0;
    for (const ch of label) h = (h * 31 + ch.codePointAt(0)) % 360;
    hues[label] = h;
  }
  return hues[label];
}
function render(text, spans, model) {
  const chars = Array.from(text);  // code points, as the server counts offsets
  const out = $("result");
  out.replaceChildren();
  let pos = 0;
  for (const s of spans) {
    if (s.start < pos) continue;  // overlapping spans cannot nest in flat text; keep the first
    out.append(document.createTextNode(chars.slice(pos, s.start).join("")));
    const mark = document.createElement("mark");
    mark.style.setProperty("--h", hue(s.label));
    mark.textContent = chars.slice(s.start, s.end).join("");
    const tag = document.createElement("small");
    tag.textContent = s.label + (s.score == null ? "" : " " + s.score.toFixed(2));
    mark.append(tag);
    mark.title = s.label + (s.score == null ? "" : " (score " + s.score.toFixed(3) + ")");
    out.append(mark);
    pos = s.end;
  }
  out.append(document.createTextNode(chars.slice(pos).join("")));
  return spans.length + " entities, answered by " + model;
}
async function run() {
  const text = $("text").value;
  const status = $("status");
  status.className = "";
  status.textContent = "...";
  try {
    const started = performance.now();
    const response = await fetch("/v1/entities", {
      method: "POST",
      headers: {"Content-Type": "application/json"},
      body: JSON.stringify({text}),
    });
    const body = await response.json();
    if (!response.ok) {
      const detail = Array.isArray(body.detail) ? body.detail.map((d) => d.msg).join("; ") : body.detail;
      throw new Error(response.status + ": " + detail);
    }
    const ms = Math.round(performance.now() - started);
    status.textContent = render(text, body.spans, body.model) + " in " + ms + " ms";
  } catch (err) {
    status.className = "error";
    status.textContent = String(err.message || err);
  }
}
$("go").addEventListener("click", run);
$("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
fetch("/readyz").then((r) => r.json()).then((info) => {
  let line = "model " + info.model + " - labels: " + info.labels.join(", ");
  if (info.fallback) line += " - fallback " + info.fallback + " below " + info.threshold;
  $("info").textContent = line;
  document.title = "specialize: " + info.model;
}).catch(() => { $("info").textContent = "model information unavailable"; });
</script>
</body>
</html>
"""
