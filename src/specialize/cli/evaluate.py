"""``specialize evaluate``: several models on one gold test set, side by side."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from specialize.cli.common import HelpFormatter, add_selection_options
from specialize.errors import ConfigError

HELP = "score models on one gold test set, side by side, with confidence intervals"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "evaluate",
        help=HELP,
        description=HELP + ". Strict span match (start, end and type); 95% bootstrap intervals over documents.",
        formatter_class=HelpFormatter,
    )
    p.add_argument(
        "models",
        nargs="+",
        metavar="MODEL",
        help="a folder written by 'specialize train', or spacy:NAME_OR_PATH (e.g. spacy:en_core_web_md)",
    )
    p.add_argument("--data", required=True, help="gold data: path or dataset name such as conll2003:test")
    p.add_argument(
        "--label-map",
        help="map a general model's labels to the data's, e.g. PERSON=PER,GPE=LOC or a preset: conll",
    )
    p.add_argument(
        "--context",
        choices=["sentence", "document"],
        default="sentence",
        help="document: join the data's sentences into their documents (CoNLL -DOCSTART-) before predicting, "
        "for models trained with data.context = document",
    )
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap samples for the intervals (0 = none)")
    add_selection_options(p, "--data (the records say which part was scored)")
    p.add_argument("--examples", type=int, default=3, help="error examples to print per category")
    p.add_argument("--json", metavar="OUT", help="write one record per model to this JSON file")
    p.add_argument(
        "--json-examples",
        action="store_true",
        help="also write the error examples (--examples per category, quoting the texts) into the --json records, "
        "for specialize report",
    )
    p.add_argument(
        "--cascade",
        metavar="FALLBACK",
        help="instead: F1 against the share of documents deferred to FALLBACK (folder, spacy:NAME, llm:MODEL...) "
        "over confidence thresholds 0.5-0.99, for the first MODEL as primary; --json writes the table",
    )
    p.add_argument(
        "--cascade-confidence",
        choices=["min_span_score", "min_word_prob", "min_token_margin", "label_margin"],
        help="confidence measure for --cascade (default: min_span_score for span models, label_margin for text "
        "classifiers: the top probability, or the least certain label's distance to the threshold)",
    )


def run(args: argparse.Namespace) -> int:
    if args.cascade:
        return _run_cascade(args)
    from specialize.config import DataConfig
    from specialize.evaluation.evaluate import evaluate, format_table

    result = evaluate(
        args.models,
        args.data,
        label_map=args.label_map,
        data_config=DataConfig(context=args.context),
        n_bootstrap=args.bootstrap,
        examples=args.examples,
        limit=args.limit,
        sample=args.sample,
        sample_seed=args.seed,
    )
    print(format_table(result))
    for model in result.models:
        if model.errors is None:
            continue
        if any(model.errors.examples.values()):
            print(f"\nerror examples, {model.name}:")
        for category, examples in model.errors.examples.items():
            for example in examples[: args.examples]:
                gold = f"{example.gold['label']} {example.gold['text']!r}" if example.gold else "-"
                pred = f"{example.pred['label']} {example.pred['text']!r}" if example.pred else "-"
                print(f"  {category:<20} gold {gold:<30} predicted {pred:<30} | {example.context}")
    if args.json:
        dataset, _, split = str(args.data).partition(":") if not Path(args.data).exists() else (args.data, "", "")
        records = result.to_records(dataset=dataset, split=split or None, error_examples=args.json_examples)
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(records, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


def _run_cascade(args: argparse.Namespace) -> int:
    from specialize.serve.cascade import cascade_curve, format_curve

    if args.limit is not None or args.sample is not None:
        raise ConfigError("--cascade scores the whole --data; drop --limit/--sample")
    if len(args.models) > 1:
        raise ConfigError("--cascade takes one MODEL (the primary); evaluate the others separately")
    label_map = None
    if args.label_map:
        from specialize.data.labels import parse_label_map

        label_map = parse_label_map(args.label_map)
    from specialize.config import DataConfig

    curve = cascade_curve(
        args.models[0],
        args.cascade,
        args.data,
        confidence=args.cascade_confidence,
        label_map=label_map,
        data_config=DataConfig(context=args.context),
    )
    print(format_curve(curve))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(curve.to_dict(), indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0
