"""The HTML report: every section from the committed tiny results, self-contained, well-formed, escaped."""

from __future__ import annotations

import copy
import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from specialize.cli.main import main
from specialize.evaluation.report import load_results, record_kind, report, throughputs
from specialize.evaluation.report_charts import Point, highlight, pareto_front

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "results"
RESULT_FILES = [FIXTURES / "evaluation.json", FIXTURES / "speed.json", FIXTURES / "cascade.json"]
BENCHMARK_RESULTS = sorted((Path(__file__).resolve().parents[2] / "benchmarks" / "results").glob("*.json"))
SECTIONS = (
    "overview",
    "summary",
    "tradeoff",
    "per-type",
    "errors",
    "cascade",
    "cost",
    "distillation",
    "llm",
    "classification",
    "correction",
    "examples",
    "provenance",
)
VOID = {"meta", "br", "hr", "img", "input", "link", "area", "base", "col", "embed", "source", "track", "wbr"}
# SVG elements the report writes self-closed (<circle/>): html.parser reports them as start-end tags.
URL_ATTRIBUTES = {"src", "href", "xlink:href", "action", "formaction", "poster", "data", "srcset"}


class Checker(HTMLParser):
    """Collects ids, tags and URL attributes, and checks that every element is closed in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: set[str] = set()
        self.tags: dict[str, int] = {}
        self.urls: list[str] = []
        self.text: list[str] = []

    def _attrs(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] = self.tags.get(tag, 0) + 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in URL_ATTRIBUTES and value is not None:
                self.urls.append(value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._attrs(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def check(page: str) -> Checker:
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert not checker.errors, checker.errors[:5]
    assert not checker.stack, f"unclosed: {checker.stack}"
    return checker


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("report") / "report.html"
    args = ["report", *map(str, RESULT_FILES), "--output", str(out), "--title", "Toy <report> & co"]
    assert main(args) == 0
    return out.read_text(encoding="utf-8")


def test_report_has_every_section_with_charts_and_tables(page):
    parsed = check(page)
    assert set(SECTIONS) <= parsed.ids
    for chart in ("chart-tradeoff-0", "chart-types-0", "chart-cascade-0"):
        assert chart in parsed.ids and f"{chart}-t" in parsed.ids and f"{chart}-d" in parsed.ids  # accessible name
    assert parsed.tags["svg"] == 3 and parsed.tags["h2"] == len(SECTIONS) and parsed.tags["h1"] == 1
    assert page.count("<polyline class='pareto'") + page.count('<polyline class="pareto"') == 1
    text = " ".join(parsed.text)
    for expected in ("specialist-minilm", "spacy:en_core_web_sm", "specialist-minilm-int8", "big-teacher alone"):
        assert expected in text
    assert "Toy <report> & co" in text and "<report>" not in page  # the title was escaped
    assert "wrong_type_boundary" in text and "none (missed)" in text  # breakdown and confusion matrix
    assert "No distillation records" in text  # a section without data says what would fill it
    assert "No text classification records" in text


def test_report_is_self_contained(page):
    parsed = check(page)
    assert all(url.startswith("#") for url in parsed.urls), [u for u in parsed.urls if not u.startswith("#")]
    assert "http://" not in page and "https://" not in page
    assert "<script" not in page and "<link" not in page and "@import" not in page and "url(" not in page


def test_example_errors_mark_gold_and_predicted_spans(page):
    # Escaped document text (the fixture holds "<b>doctor</b> &") and marks around the spans.
    assert "The &lt;b&gt;doctor&lt;/b&gt; &amp; <mark class='p' title='predicted PER'>Dr. </mark>" in page
    assert "<mark class='g p' title='gold LOC, predicted PER'>Oslo</mark>" in page
    assert "<mark class='g' title='gold PER'>Smith</mark>" in page
    assert "<mark class='p' title='predicted PER'>Monday</mark>" in page


def test_highlight_handles_crossing_spans_and_falls_back_on_odd_markers():
    crossing = {
        "gold": {"start": 0, "end": 7, "label": "PER", "text": "Ann Lee"},
        "pred": {"start": 4, "end": 12, "label": "ORG", "text": "Lee Corp"},
        "context": "[[Ann <<Lee]] Corp>> <b>",
    }
    assert highlight(crossing) == (
        "<mark class='g' title='gold PER'>Ann </mark><mark class='g p' title='gold PER, predicted ORG'>Lee</mark>"
        "<mark class='p' title='predicted ORG'> Corp</mark> &lt;b&gt;"
    )
    # The document itself held "[[": the markers no longer match the span texts, so no marks at all.
    odd = {"gold": {"label": "PER", "text": "x"}, "pred": None, "context": "a [[ b [[x]]"}
    assert highlight(odd) == "a [[ b [[x]]"


def test_record_kinds_and_file_shapes(tmp_path):
    evaluation, speed, cascade = (json.loads(p.read_text()) for p in RESULT_FILES)
    assert [record_kind(r) for r in (evaluation[0], speed[0], cascade)] == ["evaluation", "speed", "cascade"]
    distilled = {**evaluation[0], "role": "student", "teacher": "big", "experiment": "soft"}
    assert record_kind(distilled) == "distillation" and record_kind({"model": "x"}) is None
    static = {"threads": 1, "n_docs": 6, "n_tokens": 39, "results": {"static": {"f1": 0.7, "tokens_per_s": 9e4,
                                                                                 "docs_per_s": 1.4e4}}}  # fmt: skip
    (tmp_path / "wrapped.json").write_text(json.dumps({"records": evaluation}))
    (tmp_path / "static.json").write_text(json.dumps(static))
    (tmp_path / "cascade.json").write_text(json.dumps(cascade))
    data = load_results([tmp_path / "wrapped.json", tmp_path / "static.json", tmp_path / "cascade.json"])
    assert [len(data.records[k]) for k in ("evaluation", "speed", "cascade")] == [2, 1, 1]
    assert throughputs(data)["static"].tokens_per_s == 9e4
    (tmp_path / "other.json").write_text(json.dumps([{"hello": 1}]))
    with pytest.raises(
        ValueError, match="no evaluation, speed, distillation, cascade, classification, LLM or correction record in any"
    ):
        load_results([tmp_path / "other.json"])


def test_classification_records_get_their_own_table_and_per_label_scores(tmp_path):
    def record(model, micro, per_label):
        return {"dataset": "clauses:test", "split": "test", "model": model, "accuracy": micro, "micro_f1": micro,
                "micro_f1_ci": [micro - 0.1, micro + 0.1], "macro_f1": micro / 2, "n_docs": 9,
                "per_label": {k: {"f1": f, "support": n} for k, (f, n) in per_label.items()}}  # fmt: skip

    records = [
        record("<b>bert</b>", 0.79, {"Parties": (0.9, 50), "Rare": (0.2, 2)}),
        record("tfidf", 0.76, {"Parties": (0.8, 50), "Rare": (0.0, 2)}),
    ]
    assert record_kind(records[0]) == "classification"
    (tmp_path / "cls.json").write_text(json.dumps(records))
    page = report([tmp_path / "cls.json"], tmp_path / "r.html").read_text()
    section = page[page.index("id='classification'") :]
    assert "0.790" in section and "0.760" in section and "clauses: F1 per label" in section
    assert section.index("Parties") < section.index("Rare")  # most frequent label first
    assert "<b>bert</b>" not in page and "&lt;b&gt;bert&lt;/b&gt;" in section  # names are escaped


def test_correction_records_get_a_learning_curve_against_the_gold_ceiling(tmp_path):
    path = FIXTURES / "correction.json"
    records = json.loads(path.read_text())
    assert [record_kind(r) for r in records] == ["correction"] * len(records)
    page = check_page(report([path], tmp_path / "r.html"))
    section = page[page.index("id='correction'") : page.index("id='examples'")]
    assert 'id="chart-correction"' in section and section.count('<polyline class="curve"') == 2
    assert "all gold 0.750" in section  # the ceiling as a labelled line
    assert "uncertainty: 0 docs F1 0.500, 10 docs F1 0.600, 20 docs F1 0.680" in section  # from the silver start
    assert "0.080 <span class='muted'>[0.030, 0.120]</span>" in section  # the paired difference with random
    assert "gazetteer &lt;of&gt; mentions" in section and "<of>" not in section
    assert "No correction-loop records" in check_page(report(RESULT_FILES, tmp_path / "none.html"))


def test_throughput_joins_by_model_and_cost_follows_the_price(tmp_path):
    data = load_results(RESULT_FILES)
    speed = throughputs(data)
    # The benchmark's 1-thread number wins over the evaluation pass's own throughput.
    assert speed["specialist-minilm"].source == "benchmark" and speed["specialist-minilm"].tokens_per_s == 2100.0
    out = report(RESULT_FILES, tmp_path / "r.html", price_per_cpu_hour=1.0)
    page = out.read_text()
    docs_per_s = 2100.0 / 6.5
    hours = 1e6 / docs_per_s / 3600
    assert f"<td class=''>{hours:,.2f}</td><td class=''>{hours:,.2f}</td>" in page  # $1 per CPU-hour: equal


def test_distillation_records_and_duplicates(tmp_path):
    evaluation = json.loads(RESULT_FILES[0].read_text())
    teacher, student = copy.deepcopy(evaluation)
    for record, role, docs in ((teacher, "teacher", 10.0), (student, "student", 35.0)):
        record.update(role=role, teacher="big", experiment="soft", train_seconds=12.0)
        record["throughput"] = {"docs_per_s": docs, "tokens_per_s": docs * 6.5, "threads": 2,
                                "speedup_vs_teacher": docs / 10.0}  # fmt: skip
    student["agreement"] = {"precision": 0.9, "recall": 0.8, "f1": 0.847}
    (tmp_path / "distill.json").write_text(json.dumps([teacher, student]))
    (tmp_path / "again.json").write_text(json.dumps(evaluation))
    files = [RESULT_FILES[0], tmp_path / "again.json", tmp_path / "distill.json"]
    data = load_results(files)
    assert len(data.records["evaluation"]) == 2  # the same (dataset, split, model) read twice counts once
    page = check_page(report(files, tmp_path / "r.html"))
    assert "0.847" in page and "3.50" in page and "No distillation records" not in page


def test_accuracy_records_show_teacher_student_and_baseline_with_size_and_speed(tmp_path):
    (base,) = copy.deepcopy(json.loads(RESULT_FILES[0].read_text()))[:1]
    rows = []
    for role, name, parameters, words in (("teacher", "mpnet-teacher", 108_903_555, 147.3),
                                          ("student", "minilm-student", 22_565_379, 2_711.0),
                                          ("baseline", "spacy train", 1_532_454, 28_004.0)):  # fmt: skip
        record = {**base, "role": role, "model": name, "parameters": parameters, "words_per_s": words, "threads": 1}
        dropped = ("docs_per_s", "tokens_per_s", "errors", "errors_per_type", "confusions", "error_examples")
        rows.append({k: v for k, v in record.items() if k not in dropped})  # accuracy.json records have none
    (tmp_path / "accuracy.json").write_text(json.dumps(rows))
    page = check_page(report([tmp_path / "accuracy.json"], tmp_path / "r.html"))
    distillation = page[page.index("Distillation: teacher and student</h2>") :]
    for cells in (("mpnet-teacher", "108.9", "147"), ("minilm-student", "22.6", "2,711"),
                  ("spacy train", "1.5", "28,004")):  # fmt: skip
        row = distillation[distillation.index(cells[0]) :]
        row = row[: row.index("</tr>")]
        assert all(f">{cell}</td>" in row for cell in cells[1:]), row
    # At a glance: the student is the specialist (not the bigger-F1 teacher, which has a column of its own), the
    # record's role makes spaCy's trainer the baseline, and the scoring pass's words/s is the speed (marked *).
    overview = page[page.index("id='overview'") : page.index("id='summary'")]
    row = overview[overview.index("toy-ner (test)") :]
    row = row[: row.index("</tr>")]
    cells = [c.split(">", 1)[1].split("</td>")[0] for c in row.split("<td")[1:]]
    assert "minilm-student" in cells[0] and "spacy train" in cells[1] and "mpnet-teacher" in cells[10], cells
    assert cells[5:8] == ["2,711 tokens/s *", "28,004 tokens/s *", "0.097×"], cells
    # Records without error counts get no table of dashes that would read as zero errors.
    assert "Error breakdown on" not in page and "No error counts among the inputs" in page


def test_llm_records_and_published_figures_are_shown_apart(tmp_path):
    (llm,) = copy.deepcopy(json.loads(RESULT_FILES[0].read_text()))[:1]
    llm.update(experiment="llm-vs-specialist", role="llm-few-shot", model="SmolLM2 3-shot", threads=1)
    llm.update(server="llama.cpp (llama-cpp-python 0.3.36)", llm={"model": "SmolLM2-135M-Instruct Q4_1"})
    llm.update(docs_per_s=0.5, prompt_tokens_per_doc=450.0, completion_tokens_per_doc=25.0, usd_per_1m_docs=27.78)
    llm["rejected"] = {"not_found": 7}
    published = {"dataset": "ncbi-disease", "model": "GPT-4 zero-shot", "setting": "zero-shot", "f1": 0.5673,
                 "measured": False, "citation": "Chen et al. 2023 (arXiv:2305.16326)"}  # fmt: skip
    (tmp_path / "llm.json").write_text(json.dumps({"records": [llm, published]}))
    data = load_results([tmp_path / "llm.json"])
    assert [len(data.records[k]) for k in ("llm", "published", "evaluation")] == [1, 1, 0]
    assert record_kind(published) == "published" and data.evaluations == data.records["llm"]
    assert throughputs(data)["SmolLM2 3-shot"].threads_known  # the record says its thread count
    page = check_page(report([tmp_path / "llm.json"], tmp_path / "r.html"))
    assert "450 + 25" in page and "not_found 7" in page and "27.78" in page
    assert "published, not measured here" in page and "arXiv:2305.16326" in page
    assert "SmolLM2-135M-Instruct Q4_1 on llama.cpp (llama-cpp-python 0.3.36)" in page


def check_page(path: Path) -> str:
    page = path.read_text(encoding="utf-8")
    check(page)
    return page


def test_hostile_names_are_escaped(tmp_path):
    records = json.loads(RESULT_FILES[0].read_text())
    records[0]["model"] = "<script>alert('x')</script>"
    records[0]["per_type"]['"><img src=x>'] = dict(records[0]["per_type"]["PER"])
    (tmp_path / "bad.json").write_text(json.dumps(records))
    page = check_page(report([tmp_path / "bad.json", RESULT_FILES[1]], tmp_path / "r.html"))
    assert "<script" not in page and "<img" not in page and "&lt;script&gt;" in page


def test_pareto_front_keeps_the_unbeaten():
    points = [Point(n, x, y, "#000") for n, x, y in [("a", 1, 0.9), ("b", 10, 0.8), ("c", 5, 0.7), ("d", 10, 0.6)]]
    assert [p.label for p in pareto_front(points)] == ["a", "b"]


def test_evaluate_json_examples_flag_puts_examples_in_records():
    from specialize.data.document import Document, Span
    from specialize.evaluation.evaluate import evaluate

    class Swap:
        name, labels = "swap", ["PER", "LOC"]

        def predict(self, texts):
            return [[Span(0, 3, "LOC")] for _ in texts]

    result = evaluate([Swap()], [Document("Ann ran .", [Span(0, 3, "PER")], id="a")], n_bootstrap=0)
    plain, with_examples = result.to_records(machine={})[0], result.to_records(machine={}, error_examples=True)[0]
    assert "error_examples" not in plain and plain["confusions"] == {"PER->LOC": 1}
    assert plain["errors_per_type"]["PER"]["wrong_type"] == 1
    (example,) = with_examples["error_examples"]
    assert example["category"] == "wrong_type" and example["context"] == "[[Ann]] ran ."


@pytest.mark.parametrize("path", BENCHMARK_RESULTS, ids=[p.name for p in BENCHMARK_RESULTS])
def test_committed_benchmark_results_render(path, tmp_path):
    """Each committed benchmark result file that holds known records renders on its own."""
    blob = json.loads(path.read_text())
    items = blob if isinstance(blob, list) else [blob]
    if not any(isinstance(r, dict) and (record_kind(r) or "results" in r or "records" in r) for r in items):
        pytest.skip(f"{path.name} holds no report records")
    check_page(report([path], tmp_path / "r.html"))


def test_cli_reports_an_unreadable_file_clearly(tmp_path, capsys):
    (tmp_path / "broken.json").write_text("{not json")
    assert main(["report", str(tmp_path / "broken.json"), "-o", str(tmp_path / "r.html")]) == 2
    assert "is not valid JSON" in capsys.readouterr().err


# -- issue #15 item 16: skipped files, one name per model and dataset, a summary, one chart per data set ------
def _evaluation(model: str, dataset: str, f1: float, split: str | None = "test", n_docs: int = 50) -> dict:
    per_type = {"PER": {"precision": f1, "recall": f1, "f1": f1, "f1_ci": None, "support": 10}}
    return {"dataset": dataset, "split": split, "model": model, "f1": f1, "f1_ci": [f1 - 0.05, f1 + 0.05],
            "precision": f1, "recall": f1, "macro_f1": f1, "per_type": per_type, "n_docs": n_docs,
            "errors": {}, "docs_per_s": 10.0, "tokens_per_s": 100.0}  # fmt: skip


def _speed(model: str, f1: float, tokens_per_s: float, n_docs: int = 50, size_mb: float = 20.0) -> dict:
    return {"model": model, "kind": "onnx", "f1": f1, "per_type_f1": {"PER": f1}, "threads": [1],
            "tokens_per_s": {"1": tokens_per_s}, "docs_per_s": {"1": tokens_per_s / 10}, "n_docs": n_docs,
            "n_tokens": n_docs * 10, "size_mb": size_mb}  # fmt: skip


def test_a_file_without_known_records_is_skipped_with_a_warning(tmp_path, caplog):
    (tmp_path / "int8_floor.json").write_text(json.dumps([{"model": "x", "matmuls": [], "max_words_per_s": 1}]))
    (tmp_path / "eval.json").write_text(json.dumps([_evaluation("spec", "toy", 0.8)]))
    with caplog.at_level("WARNING"):
        page = check_page(report([tmp_path / "int8_floor.json", tmp_path / "eval.json"], tmp_path / "r.html"))
    assert "int8_floor.json: no evaluation, speed" in caplog.text and "skipped" in caplog.text
    assert "int8_floor.json: no record of a known kind; the whole file was skipped" in page


def test_one_name_per_model_and_per_dataset_across_files(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([
        _evaluation("specialist (MiniLM, configs/x.toml)", "conll2003", 0.893, n_docs=3453),
        _evaluation("spacy:en_core_web_md", "conll2003", 0.618, n_docs=3453),
    ]))  # fmt: skip
    teacher = {**_evaluation("teacher: MiniLM CoNLL specialist", "conll2003:test", 0.893, None, 3453),
               "role": "teacher", "teacher": "MiniLM CoNLL specialist", "experiment": "soft"}  # fmt: skip
    (tmp_path / "b.json").write_text(json.dumps([teacher]))
    (tmp_path / "c.json").write_text(json.dumps([
        _speed("conll2003", 0.893, 2678.0, 3453, 91.0), _speed("conll2003-int8", 0.891, 8248.0, 3453),
        _speed("fp32", 0.5, 10.0), _speed("torch", 0.5, 5.0),  # one file, one score, two names: never joined
    ]))  # fmt: skip
    data = load_results([tmp_path / n for n in ("a.json", "b.json", "c.json")])
    names = {r["model"] for records in data.records.values() for r in records}
    assert "conll2003" not in names and "teacher: MiniLM CoNLL specialist" not in names
    assert {"specialist (MiniLM, configs/x.toml)", "conll2003-int8", "fp32", "torch"} <= names
    assert data.aliases == {"specialist (MiniLM, configs/x.toml)": ["MiniLM CoNLL specialist", "conll2003"]}
    assert {(r["dataset"], r["split"]) for r in data.evaluations} == {("conll2003", "test")}
    speed = next(r for r in data.records["speed"] if r["model"] == "conll2003-int8")
    assert (speed["dataset"], speed["split"]) == ("conll2003", "test")  # lent by its file's joined record
    assert throughputs(data)["specialist (MiniLM, configs/x.toml)"].tokens_per_s == 2678.0

    renamed = load_results([tmp_path / "c.json"], aliases={"fp32": "MiniLM fp32 export"})
    assert "MiniLM fp32 export" in {r["model"] for r in renamed.records["speed"]}


def test_summary_and_one_chart_per_dataset(tmp_path):
    records = [
        _evaluation("specialist-a", "conll2003", 0.89),
        _evaluation("spacy:en_core_web_md (label map: conll)", "conll2003", 0.62),
        _evaluation("distill-from-spacy", "conll2003", 0.66),  # a specialist, though its name says spacy
        _evaluation("specialist-b", "ncbi-disease:test", 0.85, split=None, n_docs=90),
        _evaluation("spacy:en_core_web_md (label map: none)", "ncbi-disease", 0.0, n_docs=90),
    ]
    (tmp_path / "eval.json").write_text(json.dumps(records))
    speed = [_speed("specialist-a", 0.89, 2000.0, size_mb=91.0),
             _speed("spacy:en_core_web_md (label map: conll)", 0.62, 8000.0, size_mb=40.0)]  # fmt: skip
    (tmp_path / "speed.json").write_text(json.dumps(speed))
    page = check_page(report([tmp_path / "eval.json", tmp_path / "speed.json"], tmp_path / "r.html"))
    overview = page[page.index("id='overview'") : page.index("id='summary'")]
    conll = overview[overview.index("conll2003 (test)") :]
    assert conll.index("specialist-a") < conll.index("spacy:en_core_web_md (label map: conll)")
    assert "+27.0" in conll and "0.25×" in conll and "91.0" in conll and "40.0" in conll
    assert "ncbi-disease (test)" in overview and "+85.0" in overview
    tradeoff = page[page.index("id='tradeoff'") : page.index("id='per-type'")]
    assert "chart-tradeoff-0" in tradeoff and "chart-tradeoff-1" in tradeoff and "chart-tradeoff-2" not in tradeoff
    assert "F1 against throughput on conll2003 (test)" in tradeoff
    assert "F1 against throughput on ncbi-disease (test)" in tradeoff


def test_a_score_on_part_of_a_test_set_is_not_compared_with_scores_on_all_of_it(tmp_path):
    # The LLM benchmark scores a fixed random subset; evaluate --sample scores a draw: each is a set of its own.
    subset = {
        **_evaluation("specialist-on-60", "ncbi-disease", 0.89, n_docs=60),
        "subset": {"n_test": 60, "test_size": 940, "seed": 0},
    }
    sampled = {
        **_evaluation("specialist-sampled", "ncbi-disease", 0.91, n_docs=100),
        "data_selection": "100 of 940 drawn with seed 3 (--sample 100)",
    }
    everything = {
        **_evaluation("specialist-on-all", "ncbi-disease", 0.85, n_docs=940),
        "subset": {"n_test": 940, "test_size": 940, "seed": 0},
    }  # a "subset" that is the whole split
    records = [subset, sampled, everything, _evaluation("spacy train", "ncbi-disease", 0.80, n_docs=940)]
    (tmp_path / "eval.json").write_text(json.dumps(records))
    page = check_page(report([tmp_path / "eval.json"], tmp_path / "r.html"))
    overview = page[page.index("id='overview'") : page.index("id='summary'")]
    rows = {cells[0].rsplit(">", 1)[-1]: cells[1:] for cells in _rows(overview)}
    assert set(rows) == {"ncbi-disease (test)", "ncbi-disease (test, 60 of 940 documents, seed 0)",
                         "ncbi-disease (test, 100 of 940 drawn with seed 3 (--sample 100))"}, rows  # fmt: skip
    full = rows["ncbi-disease (test)"]
    assert "specialist-on-all" in full[0] and "spacy train" in full[1] and full[4] == "+5.0", full
    assert "specialist-on-60" in rows["ncbi-disease (test, 60 of 940 documents, seed 0)"][0]
    summary = page[page.index("id='summary'") : page.index("id='tradeoff'")]
    assert "test, 60 of 940 documents, seed 0" in summary


def test_a_span_record_without_per_type_scores_renders(tmp_path):
    # A record that declares itself an evaluation but carries no per-type scores (a benchmark that renamed its
    # fields) gets the sections it can fill, not a traceback.
    bare = {k: v for k, v in _evaluation("specialist-a", "toy", 0.8).items() if k != "per_type"}
    (tmp_path / "eval.json").write_text(json.dumps([{**bare, "kind": "evaluation", "task": "span"}]))
    page = check_page(report([tmp_path / "eval.json"], tmp_path / "r.html"))
    assert "specialist-a" in page[page.index("id='summary'") :]


def _rows(html: str) -> list[list[str]]:
    """The cells of each body row of the first table in ``html``, as their inner HTML."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [[c.split(">", 1)[1].split("</td>")[0] for c in row.split("<td")[1:]] for row in body.split("<tr>")[1:]]


def test_the_readme_report_command_renders_every_committed_file():
    """The README's command, int8_floor.json included: no abort, one chart per data set."""
    results = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
    names = ["ner_accuracy", "distill", "speed", "serve", "static_student", "domains", "classification_export",
             "int8_floor"]  # fmt: skip
    data = load_results([results / f"{n}.json" for n in names])
    assert any("int8_floor.json" in s for s in data.skipped)
    assert {r["dataset"] for r in data.evaluations} >= {"conll2003", "ncbi-disease"}
    assert all(":" not in str(r.get("dataset")) for r in data.evaluations)


@pytest.mark.parametrize(("second_run", "ratio"), [("python benchmarks/speed.py", "0.25×"), ("another day", None)])
def test_a_speed_ratio_needs_both_speeds_from_one_run(tmp_path, second_run, ratio):
    # This CPU ran the same model 1.8x faster one day than another: speeds from two runs do not divide.
    scores = [_evaluation("specialist-a", "conll2003", 0.89), _evaluation("spacy:en_core_web_sm", "conll2003", 0.61)]
    (tmp_path / "eval.json").write_text(json.dumps(scores))
    machine = {"cpu": "AMD EPYC", "cores": 2}
    speed = [{**_speed("specialist-a", 0.89, 2000.0), "command": "python benchmarks/speed.py", "machine": machine},
             {**_speed("spacy:en_core_web_sm", 0.61, 8000.0), "command": second_run, "machine": machine}]  # fmt: skip
    (tmp_path / "speed.json").write_text(json.dumps(speed))
    page = check_page(report([tmp_path / "eval.json", tmp_path / "speed.json"], tmp_path / "r.html"))
    overview = page[page.index("id='overview'") : page.index("id='summary'")]
    row = overview[overview.index("conll2003 (test)") :]
    cells = [c.split(">", 1)[1].split("</td>")[0] for c in row[: row.index("</tr>")].split("<td")[1:]]
    assert cells[5:7] == ["2,000 tokens/s", "8,000 tokens/s"], cells
    assert cells[7] == (ratio or "-"), cells
