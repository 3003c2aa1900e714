"""The demo page served at ``GET /``: self-contained (inline CSS and JS, nothing fetched from elsewhere).

It asks ``/readyz`` what the server runs: a span model gets "Find entities" (``/v1/entities``) and "Redact"
(``/v1/redact``, tag operator), a text classifier "Classify" (``/v1/classify``: labels and score bars).

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
  .label { display: grid; grid-template-columns: 12em 1fr 4em; gap: .6em; align-items: center; line-height: 1.6; }
  .label.chosen { font-weight: 600; }
  .bar { height: .8em; border-radius: 3px; background: hsl(var(--h), 70%, 60%); }
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
<p id="intro">Paste text and find its entities.</p>
<textarea id="text"></textarea>
<div><button id="go">Find entities</button> <button id="redact" hidden>Redact</button><span id="status"></span></div>
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
function renderLabels(body) {
  // Every label with its probability as a bar, most likely first; the predicted ones in bold.
  const out = $("result");
  out.replaceChildren();
  const chosen = new Set(body.labels);
  for (const [label, p] of Object.entries(body.scores).sort((a, b) => b[1] - a[1])) {
    const row = document.createElement("div");
    row.className = chosen.has(label) ? "label chosen" : "label";
    const name = document.createElement("span");
    name.textContent = label;
    const track = document.createElement("div");
    const bar = document.createElement("div");
    bar.className = "bar";
    bar.style.setProperty("--h", hue(label));
    bar.style.width = (100 * p).toFixed(1) + "%";
    track.append(bar);
    const value = document.createElement("span");
    value.textContent = p.toFixed(3);
    row.append(name, track, value);
    out.append(row);
  }
  return (body.labels.length ? body.labels.join(", ") : "no label") + ", answered by " + body.model;
}
function renderRedacted(body) {
  // Replacements highlighted in the redacted text (out_start/out_end count its code points).
  const marks = body.spans.map((s) => ({start: s.out_start, end: s.out_end, label: s.label, score: s.score}));
  render(body.text, marks, body.model);
  return body.spans.length + " replaced, answered by " + body.model;
}
const ACTIONS = {
  entities: ["/v1/entities", (text, body) => render(text, body.spans, body.model)],
  redact: ["/v1/redact", (text, body) => renderRedacted(body)],
  classify: ["/v1/classify", (text, body) => renderLabels(body)],
};
let mainAction = "entities";
async function run(action) {
  const [path, show] = ACTIONS[action];
  const text = $("text").value;
  const status = $("status");
  status.className = "";
  status.textContent = "...";
  try {
    const started = performance.now();
    const response = await fetch(path, {
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
    status.textContent = show(text, body) + " in " + ms + " ms";
  } catch (err) {
    status.className = "error";
    status.textContent = String(err.message || err);
  }
}
$("go").addEventListener("click", () => run(mainAction));
$("redact").addEventListener("click", () => run("redact"));
$("text").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(mainAction); });
fetch("/readyz").then((r) => r.json()).then((info) => {
  if (info.task === "classification") {
    mainAction = "classify";
    $("go").textContent = "Classify";
    $("intro").textContent = "Paste text and see its labels.";
  } else {
    $("redact").hidden = false;
  }
  if (!$("text").value && info.example) $("text").value = info.example;  // a text for this model's labels
  let line = "model " + info.model + " - labels: " + info.labels.join(", ");
  if (info.fallback) line += " - fallback " + info.fallback + " below " + info.threshold;
  $("info").textContent = line;
  document.title = "specialize: " + info.model;
}).catch(() => { $("info").textContent = "model information unavailable"; });
</script>
</body>
</html>
"""
