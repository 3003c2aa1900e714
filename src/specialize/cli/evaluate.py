"""``specialize evaluate``: several models on one gold test set, side by side."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from specialize.cli.common import HelpFormatter, write_json
from specialize.cli.config_options import ConfigFlags, print_config, resolve_config

HELP = "score models on one gold test set, side by side, with confidence intervals"


def add_parser(subparsers: Any) -> None:
    from specialize.command_configs import CASCADE_CONFIDENCES, EvaluateConfig
    from specialize.data.grouping import Context

    p = subparsers.add_parser(
        "evaluate",
        help=HELP,
        description=HELP + ". Strict span match (start, end and type); 95% bootstrap intervals over documents. "
        "Options override the --config file ([evaluate] table); with --json the resolved config is saved next to "
        "it as OUT.json.config.toml (a file of that name is replaced only if an earlier evaluate wrote it there).",
        formatter_class=HelpFormatter,
    )
    flags = ConfigFlags(p, EvaluateConfig, example="evaluate.bootstrap=0", saved="the OUT.json.config.toml of a run")
    flags.add(
        p,
        "evaluate.models",
        "models",
        nargs="*",
        metavar="MODEL",
        convert=lambda models: models or None,
        help="a folder written by 'specialize train', or spacy:NAME_OR_PATH (e.g. spacy:en_core_web_md); required, "
        "here or in the config",
    )
    flags.add(p, "evaluate.data", "--data", help="gold data: path or dataset name such as conll2003:test")
    flags.add(
        p,
        "evaluate.label_map",
        "--label-map",
        help="map a general model's labels to the data's, e.g. PERSON=PER,GPE=LOC or a preset: conll",
    )
    flags.add(
        p,
        "evaluate.context",
        "--context",
        choices=[c.value for c in Context],
        help="document: join the data's sentences into their documents (CoNLL -DOCSTART-) before predicting, "
        "for models trained with data.context = document",
    )
    flags.add(p, "evaluate.bootstrap", "--bootstrap", help="bootstrap samples for the intervals (0 = none)")
    what = "--data (the records say which part was scored)"
    flags.add(p, "evaluate.limit", "--limit", metavar="N", help=f"use only the first N documents of {what}")
    flags.add(
        p,
        "evaluate.sample",
        "--sample",
        metavar="N",
        help=f"use N documents of {what} drawn at random (--seed), kept in their order",
    )
    flags.add(p, "evaluate.seed", "--seed", help="random seed of --sample")
    flags.add(p, "evaluate.examples", "--examples", help="error examples to print per category")
    p.add_argument("--json", metavar="OUT", help="write one record per model to this JSON file")
    flags.add(
        p,
        "evaluate.json_examples",
        "--json-examples",
        const=True,
        help="also write the error examples (--examples per category, quoting the texts) into the --json records, "
        "for specialize report",
    )
    flags.add(
        p,
        "evaluate.cascade",
        "--cascade",
        metavar="FALLBACK",
        help="instead: F1 against the share of documents deferred to FALLBACK (folder, spacy:NAME, llm:MODEL...) "
        "over confidence thresholds 0.5-0.99, for the first MODEL as primary; --json writes the table",
    )
    flags.add(
        p,
        "evaluate.cascade_confidence",
        "--cascade-confidence",
        choices=list(CASCADE_CONFIDENCES),
        help="confidence measure for --cascade (default: min_span_score for span models, label_margin for text "
        "classifiers: the top probability, or the least certain label's distance to the threshold)",
    )


def run(args: argparse.Namespace) -> int:
    config = resolve_config(args)
    if print_config(args, config):
        return 0
    if config.evaluate.cascade:
        return _run_cascade(args, config)
    from specialize.config import DataConfig
    from specialize.evaluation.evaluate import evaluate, format_table

    e = config.evaluate
    result = evaluate(
        e.models,
        e.data,
        label_map=e.label_map,
        data_config=DataConfig(context=e.context),
        n_bootstrap=e.bootstrap,
        examples=e.examples,
        limit=e.limit,
        sample=e.sample,
        sample_seed=e.seed,
    )
    print(format_table(result))
    for model in result.models:
        if model.errors is None:
            continue
        if any(model.errors.examples.values()):
            print(f"\nerror examples, {model.name}:")
        for category, examples in model.errors.examples.items():
            for example in examples[: e.examples]:
                gold = f"{example.gold['label']} {example.gold['text']!r}" if example.gold else "-"
                pred = f"{example.pred['label']} {example.pred['text']!r}" if example.pred else "-"
                print(f"  {category:<20} gold {gold:<30} predicted {pred:<30} | {example.context}")
    if args.json:
        dataset, _, split = str(e.data).partition(":") if not Path(e.data).exists() else (e.data, "", "")
        records = result.to_records(dataset=dataset, split=split or None, error_examples=e.json_examples)
        write_json(args.json, records, config)
    return 0


def _run_cascade(args: argparse.Namespace, config: Any) -> int:
    from specialize.config import DataConfig
    from specialize.serve.cascade import cascade_curve, format_curve

    e = config.evaluate
    label_map = None
    if e.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(e.label_map)
    curve = cascade_curve(
        e.models[0],
        e.cascade,
        e.data,
        confidence=e.cascade_confidence,
        label_map=label_map,
        data_config=DataConfig(context=e.context),
    )
    print(format_curve(curve))
    if args.json:
        write_json(args.json, curve.to_dict(), config)
    return 0
