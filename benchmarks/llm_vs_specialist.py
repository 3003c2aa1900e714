"""A small instruct LLM behind a real OpenAI-compatible server, side by side with the specialist (issue #14),
written to benchmarks/results/llm.json.

    bash scripts/setup_llm.sh        # once: llama.cpp server + SmolLM2-135M-Instruct (Q4_1 GGUF)
    flock /tmp/specialize-cpu.lock python benchmarks/llm_vs_specialist.py \\
        --specialist ncbi-disease=runs/ncbi-disease --specialist conll2003=runs/conll2003
    python benchmarks/llm_vs_specialist.py --n-test 5 --n-train 10 --output /tmp/llm.json   # a smoke run
    python benchmarks/llm_vs_specialist.py --table benchmarks/results/llm.json   # the README table
    python benchmarks/llm_vs_specialist.py --datasets ncbi-disease --update ...  # rerun one dataset, keep the other

For each dataset, in one run, on one fixed random subset of the test sentences (size and seed recorded):

- the LLM zero-shot and few-shot (``--n-examples`` examples chosen from the train split by
  ``select_examples``), served by llama.cpp at ``--threads`` threads: F1 with 95% bootstrap intervals, grounding
  rejections by reason, documents/s, prompt and completion tokens per document, cost per million documents at
  ``--usd-per-cpu-hour``;
- a student (MiniLM-L6) trained only on the few-shot LLM's labels of ``--n-train`` train sentences (no gold, no
  dev set: the last epoch is kept);
- the gold-trained specialist (``--specialist DATASET=FOLDER``; without one, a quick one is trained on
  ``--gold-train`` gold sentences and the record says so), as torch (fp32) and as what a user deploys: its
  ``export --int8`` folder (ONNX, int8 weights; its F1 on the test subset next to the torch model's);
- with ``--fast-specialist DATASET=FOLDER``, one more specialist (e.g. a ``train-static`` student of the gold one);
- spaCy en_core_web_md (CoNLL-2003 only: it has no disease type);
- the cascade: the specialist first, the few-shot LLM for its least confident documents (the same LLM answers as
  its own row, so the sweep costs no extra LLM call): F1 against the share deferred. The same curve, LLM calls
  included, comes from ``specialize evaluate SPECIALIST --data ... --cascade llm:smollm2`` with
  ``SPECIALIZE_LLM_BASE_URL`` set.

Every model predicts at the same thread count (``--threads``), so documents/s compare like for like. Published
figures of hosted LLMs are added as reference rows, marked ``"measured": false`` with their citation.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
RUNS = ROOT / "runs" / "llm"
logger = logging.getLogger("llm_vs_specialist")

LABELS: dict[str, dict[str, str]] = {
    "ncbi-disease": {"Disease": "a disease, syndrome, disorder or other medical condition"},
    "conll2003": {
        "PER": "a person's name",
        "ORG": "an organisation: company, institution, team, party",
        "LOC": "a location: country, city, region, river, mountain",
        "MISC": "another name: nationality, language, event, product, work",
    },
}
SPACY_LABEL_MAP = {"conll2003": "conll"}  # spaCy md has no disease type: no row for ncbi-disease

# Figures measured by others, never here: reference rows for the report card and the README.
PUBLISHED: list[dict[str, Any]] = [
    *[
        {
            "dataset": dataset,
            "model": f"{model} {setting}",
            "setting": setting,
            "f1": f1,
            "n_docs": 200,
            "note": "200 sentences sampled from the test set; entity-level F1",
            "citation": "Chen et al. 2023, Large language models in biomedical natural language processing: "
            "benchmarks, baselines, and recommendations (arXiv:2305.16326); table in "
            "github.com/qingyu-qc/gpt_bionlp_benchmark README",
        }
        for dataset, model, setting, f1 in [
            ("ncbi-disease", "GPT-4 (gpt-4-0314)", "zero-shot", 0.5673),
            ("ncbi-disease", "GPT-4 (gpt-4-0314)", "one-shot", 0.4837),
            ("ncbi-disease", "GPT-3.5 (gpt-3.5-turbo-0301; 'GPT-3' in the table)", "zero-shot", 0.2405),
            ("ncbi-disease", "GPT-3.5 (gpt-3.5-turbo-0301; 'GPT-3' in the table)", "one-shot", 0.1273),
            ("bc5cdr-chemical", "GPT-4 (gpt-4-0314)", "zero-shot", 0.7443),
            ("bc5cdr-chemical", "GPT-4 (gpt-4-0314)", "one-shot", 0.8207),
        ]
    ],
    {
        "dataset": "conll2003",
        "model": "GPT-4 with GPT4NER prompts (entity definitions, few-shot examples, chain of thought) few-shot",
        "setting": "few-shot",
        "f1": 0.8315,
        "n_docs": None,
        "note": "test set; strict F1",
        "citation": "GPT4NER: Large Language Models for Few-Shot Named Entity Recognition "
        "(arxiv.org/html/1810.06818v3, code github.com/xszhong/GPT4NER)",
    },
]


def subset(docs: list[Any], n: int | None, seed: int) -> list[Any]:
    """A fixed random subset (all when n is None or larger), in corpus order."""
    if n is None or n >= len(docs):
        return list(docs)
    keep = sorted(random.Random(seed).sample(range(len(docs)), n))
    return [docs[i] for i in keep]


class LLMRun:
    """An LLM teacher as a predictor for ``evaluate``, keeping each document's rejections and tokens."""

    def __init__(self, teacher: Any, name: str, chunk: int = 10) -> None:
        self.teacher, self.name, self.chunk = teacher, name, chunk
        self.outputs: list[Any] = []
        self.seconds = 0.0

    @property
    def labels(self) -> list[str]:
        return list(self.teacher.labels)

    def predict(self, texts: list[str]) -> list[list[Any]]:
        started = time.perf_counter()
        self.outputs = []
        for i in range(0, len(texts), self.chunk):
            self.outputs += self.teacher.label(texts[i : i + self.chunk])
            elapsed = time.perf_counter() - started
            logger.info("%s: %d/%d documents, %.1f s", self.name, len(self.outputs), len(texts), elapsed)
        self.seconds = time.perf_counter() - started
        return [list(o.spans) for o in self.outputs]


class Cached:
    """Answers recorded earlier, as a predictor (the cascade sweep reuses the LLM's answers)."""

    def __init__(self, name: str, labels: list[str], answers: dict[str, list[Any]]) -> None:
        self.name, self._labels, self.answers = name, labels, answers

    @property
    def labels(self) -> list[str]:
        return self._labels

    def predict(self, texts: list[str]) -> list[list[Any]]:
        return [self.answers[t] for t in texts]


def llm_summary(run: LLMRun, threads: int, usd_per_cpu_hour: float) -> dict[str, Any]:
    from collections import Counter

    n = len(run.outputs)
    rejected: Counter[str] = Counter()
    usage: Counter[str] = Counter()
    for out in run.outputs:
        rejected.update(out.rejected)
        usage.update({k: v for k, v in out.usage.items() if k != "cost"})
    docs_per_s = n / run.seconds if run.seconds else None
    return {
        "rejected": dict(sorted(rejected.items())),
        "prompt_tokens_per_doc": round(usage["prompt_tokens"] / n, 2) if n else None,
        "completion_tokens_per_doc": round(usage["completion_tokens"] / n, 2) if n else None,
        "requests": int(usage["requests"]),
        "retries": int(usage["retries"]),
        **cost_fields(docs_per_s, threads, usd_per_cpu_hour),
    }


def cost_fields(docs_per_s: float | None, threads: int, usd_per_cpu_hour: float) -> dict[str, Any]:
    """CPU-hours and dollars per million documents at ``threads`` busy CPUs."""
    if not docs_per_s:
        return {"cpu_hours_per_1m_docs": None, "usd_per_1m_docs": None}
    cpu_hours = 1e6 / docs_per_s * threads / 3600
    return {"cpu_hours_per_1m_docs": round(cpu_hours, 3), "usd_per_1m_docs": round(cpu_hours * usd_per_cpu_hour, 4)}


def steady_docs_per_s(model: Any, texts: list[str], min_seconds: float) -> float:
    """Documents per second of ``model.predict`` after a warm-up pass, over passes lasting ``min_seconds``."""
    model.predict(texts)
    passes, started = 0, time.perf_counter()
    while passes == 0 or time.perf_counter() - started < min_seconds:
        model.predict(texts)
        passes += 1
    return round(passes * len(texts) / (time.perf_counter() - started), 2)


def train_on(documents: list[Any], output: Path, epochs: int, dev: str | None) -> Path:
    from specialize.config import load_config
    from specialize.training.train import train

    overrides: dict[str, Any] = {"training.epochs": epochs, "training.progress": False}
    if dev is not None:
        overrides["data.dev"] = dev
    started = time.perf_counter()
    # overwrite: a rerun replaces this benchmark's own earlier model (train replaces only folders train wrote).
    train(load_config(overrides=overrides), output, train_documents=documents, n_bootstrap=0, overwrite=True)
    logger.info("trained %s on %d documents in %.0f s", output, len(documents), time.perf_counter() - started)
    return output


def export_int8(specialist: str, output: Path) -> Path:
    """The specialist exported to ONNX with int8 weights (replacing an earlier export of this benchmark: ``export``
    replaces only folders it wrote itself). No ``check`` gate: its F1 is measured on the test subset next to the
    torch model's, and on 60 sentences one span is over the check's 0.5-point default limit."""
    from specialize.export.exporter import export

    export(specialist, output, int8=True, overwrite=True)
    return output


def run_dataset(dataset: str, args: argparse.Namespace, server: Any, store: Any) -> list[dict[str, Any]]:
    import torch

    from specialize.data.io import read_documents
    from specialize.evaluation.evaluate import command_line, evaluate, machine_info
    from specialize.serve.cascade import cascade_curve
    from specialize.teachers.label import LabelStats, label_documents
    from specialize.teachers.llm import LLMConfig, LLMTeacher

    full_test = list(read_documents(f"{dataset}:test"))
    test = subset(full_test, args.n_test, args.seed)
    train_text = subset(list(read_documents(f"{dataset}:train")), args.n_train, args.seed)
    served = server.describe()

    def teacher(shots: int) -> LLMTeacher:
        config = LLMConfig(
            model=server.alias,
            base_url=server.base_url,
            labels=LABELS[dataset],
            examples=f"{dataset}:train" if shots else None,
            n_examples=shots,
            max_concurrency=1,  # one llama.cpp slot: requests in parallel would only queue
            max_tokens=args.max_tokens,
            answer_shape=args.answer_shape,
        )
        return LLMTeacher(config)

    zero, few = teacher(0), teacher(args.n_examples)
    runs = [LLMRun(zero, f"{served['model']} zero-shot"), LLMRun(few, f"{served['model']} {args.n_examples}-shot")]

    # The student's teacher: the few-shot LLM's labels of train text (resumable through the label store).
    stats = LabelStats(few.name, few.fingerprint)
    started = time.perf_counter()
    silver = list(label_documents(few, train_text, store=store, batch_size=10, stats=stats))
    label_seconds = time.perf_counter() - started
    logger.info("%s: LLM labels of %d train sentences: %s", dataset, len(silver), stats.to_dict())
    student_dir = train_on(silver, RUNS / f"{dataset}-llm-student", args.student_epochs, dev=None)

    specialist = args.specialist.get(dataset)
    quick_specialist = specialist is None
    if specialist is None:
        gold = subset(list(read_documents(f"{dataset}:train")), args.gold_train, args.seed)
        specialist = str(train_on(gold, RUNS / f"{dataset}-gold-quick", args.gold_epochs, dev=None))

    # What a user deploys is the exported folder (`specialize export --int8`): time it next to the torch model.
    specialist_int8 = export_int8(specialist, RUNS / f"{dataset}-specialist-int8")

    torch.set_num_threads(args.threads)  # every model predicts at the server's thread count
    models: list[Any] = [*runs, str(student_dir), specialist, str(specialist_int8)]
    roles = ["llm-zero-shot", "llm-few-shot", "llm-taught-student", "gold-specialist", "gold-specialist-int8"]
    fast = args.fast_specialist.get(dataset)
    if fast is not None:  # e.g. a train-static student of the specialist: the fastest specialist there is
        models.append(fast)
        roles.append("fast-specialist")
    if dataset in SPACY_LABEL_MAP:
        from specialize.data.labels import parse_label_map
        from specialize.models.spacy_pipeline import SpacyPipeline

        label_map = parse_label_map(SPACY_LABEL_MAP[dataset])
        models.append(SpacyPipeline.load("spacy:en_core_web_md", label_map=label_map))
        roles.append("spacy")
    from specialize.models.resolve import load_model

    models = [load_model(m, threads=args.threads) if isinstance(m, str) else m for m in models]
    result = evaluate(models, test, n_bootstrap=args.bootstrap)
    machine = machine_info()
    command = command_line()
    subset_info = {"n_test": len(test), "test_size": len(full_test), "seed": args.seed}
    records = result.to_records(dataset=dataset, split="test", command=command, machine=machine)
    texts = [d.text for d in test]
    for record, model in zip(records[len(runs) :], models[len(runs) :], strict=True):
        # evaluate() times one pass, first call included (thread pools, lazy allocations): for a model that answers
        # 60 sentences in a second or two that is mostly start-up. Its steady state is what serving costs; the
        # LLM's pass is steady already (the server was warmed by labelling the train text).
        first = record["docs_per_s"]
        record["docs_per_s"] = steady_docs_per_s(model, texts, args.min_timing_seconds)
        record["docs_per_s_first_pass"] = first
        record["docs_per_s_method"] = (
            f"steady state: a warm-up pass, then passes over the {len(texts)} test texts for at least "
            f"{args.min_timing_seconds:g} s, at {args.threads} thread(s)"
        )
    for record, role in zip(records, roles, strict=True):
        record.update({"experiment": "llm-vs-specialist", "role": role, "subset": subset_info, "threads": args.threads})
        record.update(cost_fields(record["docs_per_s"], args.threads, args.usd_per_cpu_hour))
        record["usd_per_cpu_hour"] = args.usd_per_cpu_hour
    for record, run in zip(records, runs, strict=False):
        record.update({"server": served["server"], "llm": served, "teacher": run.teacher.settings})
        record["model"] = run.name
        record.update(llm_summary(run, args.threads, args.usd_per_cpu_hour))
    student, gold_record = records[2], records[3]
    student["teacher"] = runs[1].name
    student["llm_labels"] = {
        "n_train": len(train_text),
        "seed": args.seed,
        "labeled_now": stats.labeled,
        "from_store": stats.from_store,
        "seconds": round(label_seconds, 1),
        "docs_per_s": round(stats.labeled / stats.seconds, 4) if stats.seconds else None,
        "spans": stats.spans,
        "rejected": dict(sorted(stats.rejected.items())),
        "epochs": args.student_epochs,
    }
    gold_record["quick_specialist"] = (
        {"n_gold_train": args.gold_train, "epochs": args.gold_epochs} if quick_specialist else None
    )
    records[4]["exported_from"] = specialist
    llm_speed = records[1]["docs_per_s"]
    specialists = [r for r in records if r["role"] in ("gold-specialist", "gold-specialist-int8", "fast-specialist")]
    for record in specialists:
        record["speedup_vs_llm"] = round(record["docs_per_s"] / llm_speed, 1) if llm_speed else None

    fewshot_answers = {d.text: spans for d, spans in zip(test, result.models[1].predictions, strict=True)}
    curve = cascade_curve(specialist, Cached(runs[1].name, runs[1].labels, fewshot_answers), test).to_dict()
    curve.update(
        {
            "dataset": dataset,
            "split": "test",
            "subset": subset_info,
            "command": command,
            "machine": machine,
            "cli": f"SPECIALIZE_LLM_BASE_URL={server.base_url} specialize evaluate {specialist} --data {dataset}:test "
            f"--cascade llm:{server.alias}",
        }
    )
    return [*records, curve]


def markdown(path: Path) -> str:
    """The README table of a results file: measured rows per dataset, then the published ones."""
    records = json.loads(path.read_text(encoding="utf-8"))["records"]
    lines = [
        "| test subset | model | F1 [95% CI] | docs/s (1 thread) | tokens/doc (prompt + completion) | $ per 1M docs |",
        "|---|---|---|---|---|---|",
    ]
    for r in records:
        if r.get("experiment") != "llm-vs-specialist":
            continue
        ci = r.get("f1_ci") or [None, None]
        tokens = (
            f"{r['prompt_tokens_per_doc']:.0f} + {r['completion_tokens_per_doc']:.0f}"
            if r.get("prompt_tokens_per_doc") is not None
            else "-"
        )
        subset = r.get("subset") or {}
        lines.append(
            f"| {r['dataset']} ({subset.get('n_test')} of {subset.get('test_size')}, seed {subset.get('seed')}) "
            f"| {r['role']}: {r['model']} | {r['f1']:.3f} [{ci[0]:.3f}, {ci[1]:.3f}] | {r['docs_per_s']:.2f} "
            f"| {tokens} | {r.get('usd_per_1m_docs') or 0:.2f} |"
        )
    lines += ["", "| published, not measured here | setting | F1 | source |", "|---|---|---|---|"]
    for r in records:
        if r.get("measured") is False:
            lines.append(f"| {r['dataset']}: {r['model']} | {r['setting']} | {r['f1']:.3f} | {r['citation']} |")
    return "\n".join(lines)


def main() -> int:
    if sys.argv[1:2] == ["--table"]:  # print the README table of a results file
        print(markdown(Path(sys.argv[2]) if len(sys.argv) > 2 else RESULTS / "llm.json"))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(LABELS), choices=list(LABELS))
    parser.add_argument("--specialist", action="append", default=[], metavar="DATASET=FOLDER",
                        help="gold-trained specialist of a dataset (else a quick one is trained)")  # fmt: skip
    parser.add_argument("--fast-specialist", action="append", default=[], metavar="DATASET=FOLDER",
                        help="also time this specialist of a dataset (e.g. a train-static student)")  # fmt: skip
    parser.add_argument("--update", action="store_true",
                        help="keep the records of the datasets not run in --output, replace the others")  # fmt: skip
    parser.add_argument("--n-test", type=int, default=100, help="test sentences per dataset (fixed random subset)")
    parser.add_argument("--n-train", type=int, default=300, help="train sentences the LLM labels for the student")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-examples", type=int, default=3, help="few-shot examples from the train split")
    parser.add_argument("--max-tokens", type=int, default=128, help="longest LLM answer")
    parser.add_argument("--answer-shape", default="entities", choices=["entities", "by_label"],
                        help="the JSON the LLM answers with (llm.answer_shape): one list of {text, label}, or one list "
                        "per label")  # fmt: skip
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of the LLM server and of the models")
    parser.add_argument("--student-epochs", type=int, default=5)
    parser.add_argument("--gold-train", type=int, default=2000, help="gold sentences for a quick specialist")
    parser.add_argument("--gold-epochs", type=int, default=2)
    parser.add_argument("--bootstrap", type=int, default=1000)
    parser.add_argument(
        "--min-timing-seconds", type=float, default=5.0, help="steady-state timing of the local models, at least"
    )
    parser.add_argument("--usd-per-cpu-hour", type=float, default=0.05)
    parser.add_argument("--port", type=int, default=8091, help="fixed, so the label store's keys hold across runs")
    parser.add_argument("--output", type=Path, default=RESULTS / "llm.json")
    args = parser.parse_args()
    args.specialist = dict(s.split("=", 1) for s in args.specialist)
    args.fast_specialist = dict(s.split("=", 1) for s in args.fast_specialist)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from specialize.teachers.local_llm import LlamaServer, unavailable_reason
    from specialize.teachers.store import LabelStore

    reason = unavailable_reason()
    if reason is not None:
        print(f"error: {reason}", file=sys.stderr)
        return 1
    RUNS.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    records: list[dict[str, Any]] = []
    if args.update and args.output.exists():  # each dataset's records come from one run: keep the others whole
        earlier = json.loads(args.output.read_text(encoding="utf-8"))["records"]
        records = [r for r in earlier if r.get("measured") is not False and r.get("dataset") not in args.datasets]
    published = [
        {**row, "kind": "published", "measured": False, "source": "published, not measured here"} for row in PUBLISHED
    ]
    server = LlamaServer(threads=args.threads, n_ctx=2048, port=args.port, log=RUNS / "llama-server.log")
    with server, LabelStore(RUNS / "labels.sqlite") as store:
        for dataset in args.datasets:
            load = [round(x, 2) for x in os.getloadavg()]
            part = run_dataset(dataset, args, server, store)
            for record in part:  # how busy the machine was: timings taken while sharing it are not figures
                record["load_average_1_5_15"] = {"before": load, "after": [round(x, 2) for x in os.getloadavg()]}
            records += part
            _write(args.output, [*records, *published], started)  # each dataset saved as soon as it is done
    print(f"wrote {args.output} in {time.perf_counter() - started:.0f} s")
    return 0


def _write(path: Path, records: list[dict[str, Any]], started: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    blob = {"records": records, "seconds": round(time.perf_counter() - started, 1)}
    path.write_text(json.dumps(blob, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
