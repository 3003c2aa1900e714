"""One typed config per command (issue #13): each loads from TOML and --set with readable errors, its flags win over
the file, and the resolved config written with the output (specialize_config.toml) loads back into the same config.
"""

from __future__ import annotations

import inspect
import json
import tomllib
from dataclasses import fields

import pytest

from specialize.cli.config_options import resolve_config
from specialize.cli.main import build_parser, main
from specialize.command_configs import (
    ApplyConfig,
    AuditConfig,
    BasesConfig,
    BenchmarkConfig,
    CorrectionsImportConfig,
    CorrectionsMergeConfig,
    DistillConfig,
    EvaluateConfig,
    ExportConfig,
    LabelConfig,
    LinkConfig,
    PredictConfig,
    RedactConfig,
    ReportConfig,
    ReviewConfig,
    SelectConfig,
    ServeConfig,
    TrainLinkerConfig,
    TrainStaticConfig,
)
from specialize.config import CONFIG_FILE, ConfigError, TrainConfig, config_toml, load_command_config, load_config
from specialize.utils.toml_writer import dump_toml

# Per command: overrides away from the defaults (lists, None where the default is not None, tables, floats).
RESOLVED = {
    TrainConfig: {
        "data.train": ["a.jsonl", "b.jsonl"],
        "data.labels": "Disease,Chemical",
        "model.layers": "0,2",
        "model.multi_label": "true",
        "training.learning_rate": "3e-5",
        "training.bf16": "false",
    },
    DistillConfig: {
        "distillation.teacher": "teacher-folder",
        "distillation.soft": "false",
        "distillation.label_map": "PERSON=PER",
        "evaluation.speed_repeats": "0",
        "model.threshold": "0.3",
    },
    TrainStaticConfig: {
        "distillation.teacher": "t",
        "data.train": "conll2003:train",
        "static.dilations": "1,2",
        "static.shape_ids": "0,1",
        "training.patience": "2",
    },
    ExportConfig: {"export.model": "m", "export.int8": "true", "export.check": "gold.jsonl", "export.opset": "18"},
    ServeConfig: {"serve.model": "m", "serve.confidence": "min_word_prob", "server.step_tokens": "0"},
    LabelConfig: {
        "label.teacher": "llm:smollm2",
        "label.input": "in.txt",
        "label.labels": ["Disease", "Chemical"],
        "label.options": {"llm.base_url": "http://x/v1", "weights": [1, 2.5], "case_sensitive": True},
        "llm.labels": {"Disease": 'a "disease"\nof people', "Chemical": ""},
        "llm.max_tokens": "none",
        "llm.instructions": "tab\there, é",
    },
    EvaluateConfig: {
        "evaluate.models": ["a", "spacy:en"],
        "evaluate.data": "conll2003:test",
        "evaluate.context": "document",
        "evaluate.sample": "5",
        "evaluate.json_examples": "true",
    },
    PredictConfig: {"predict.model": "m", "predict.threads": "2", "predict.format": "spacy", "predict.device": "cpu"},
    ApplyConfig: {"apply.model": "m", "apply.input": "in.jsonl", "apply.workers": "0", "apply.progress": "false"},
    SelectConfig: {
        "select.model": "m",
        "select.input": "in.txt",
        "select.exclude": ["a.jsonl", "b.jsonl"],
        "select.strategy": "diverse",
        "select.confidence": "min_span_score",
    },
    BasesConfig: {"bases.action": "prepare", "bases.name": "mpnet"},
    TrainLinkerConfig: {
        "train_linker.train": "ncbi-disease-pubtator:train",
        "train_linker.encoder": "none",
        "train_linker.match_label": "true",
        "train_linker.min_similarity": "0.5",
        "train_linker.threads": "2",
    },
    LinkConfig: {"link.model": "l", "link.input": "in.jsonl", "link.method": "dictionary", "link.threads": "1"},
    RedactConfig: {
        "redact.model": "patterns",
        "redact.labels": "PERSON,EMAIL_ADDRESS",
        "redact.patterns": "false",
        "redact.operator": "surrogate",
        "redact.scope": "document",
    },
    ReviewConfig: {"review.model": "m", "review.contracts": ["a.txt", "b.txt"]},
    BenchmarkConfig: {
        "benchmark.models": ["a", "spacy:en"],
        "benchmark.data": "d",
        "benchmark.threads": "1,2",
        "benchmark.warmup": "0",
    },
    AuditConfig: {
        "audit.model": "m",
        "audit.data": "d",
        "audit.groups": ["anglo-female"],
        "audit.person_labels": "PER",
        "audit.update_card": "true",
    },
    ReportConfig: {
        "report.results": ["a.json", "b.json"],
        "report.aliases": {"conll2003": "MiniLM-L6 CoNLL specialist", "x:test": 'a "b"'},
        "report.price_per_cpu_hour": "0.1",
    },
    CorrectionsImportConfig: {
        "corrections.exports": ["e.json"],
        "corrections.tool": "prodigy",
        "corrections.json": "1",
    },
    CorrectionsMergeConfig: {"corrections.silver": "s.jsonl", "corrections.corrected": ["c1.jsonl", "c2.jsonl"]},
}


@pytest.mark.parametrize("config_class", list(RESOLVED), ids=lambda c: c.COMMAND)
def test_resolved_config_to_toml_and_back_is_the_same_config(config_class, tmp_path):
    config = load_command_config(config_class, None, RESOLVED[config_class])
    text = config_toml(config, output=tmp_path / "out")
    output = f" {config_class.OUTPUT_FLAG} " if config_class.OUTPUT is not None else ""  # serve writes nothing
    assert text.startswith(f"# specialize {config_class.COMMAND} --config THIS_FILE{output}")
    tomllib.loads(text)  # valid TOML
    (tmp_path / "c.toml").write_text(text, encoding="utf-8")
    assert load_command_config(config_class, tmp_path / "c.toml") == config
    assert load_command_config(config_class, tmp_path / "c.toml").to_dict() == config.to_dict()


def test_none_is_left_out_where_it_is_the_default_and_written_none_elsewhere():
    config = load_command_config(LabelConfig, None, RESOLVED[LabelConfig])
    tables = tomllib.loads(config_toml(config))
    assert "store" not in tables["label"] and "base_url" not in tables["llm"]  # None, the default
    assert tables["llm"]["max_tokens"] == "none"  # None, default 512


@pytest.mark.parametrize(
    ("config_class", "text", "message"),
    [
        (TrainConfig, "[training]\nepoch = 3\n", "unknown key 'training.epoch'; did you mean 'training.epochs'?"),
        (TrainConfig, "[trainig]\nepochs = 3\n", "unknown section [trainig]; did you mean [training]?"),
        (DistillConfig, "[distillation]\ntemprature = 1\n", "did you mean 'distillation.temperature'?"),
        (TrainStaticConfig, "[static]\ndims = 64\n", "unknown key 'static.dims'; did you mean 'static.dim'?"),
        (ExportConfig, "[export]\nmax_f1_dorp = 1\n", "did you mean 'export.max_f1_drop'?"),
        (ServeConfig, "[server]\nprot = 80\n", "unknown key 'server.prot'; did you mean 'server.port'?"),
        (LabelConfig, "[llm]\nmax_tokkens = 5\n", "did you mean 'llm.max_tokens'?"),
        (LabelConfig, "[label]\nbatchsize = 5\n", "did you mean 'label.batch_size'?"),
        (EvaluateConfig, "[evaluate]\nbootsrap = 0\n", "did you mean 'evaluate.bootstrap'?"),
        (PredictConfig, "[predict]\ntext_feild = 'x'\n", "did you mean 'predict.text_field'?"),
        (ApplyConfig, "[apply]\nshardsize = 5\n", "did you mean 'apply.shard_size'?"),
        (SelectConfig, "[selct]\nn = 5\n", "unknown section [selct]; did you mean [select]?"),
        (BasesConfig, "[bases]\nnmae = 'x'\n", "did you mean 'bases.name'?"),
        (TrainLinkerConfig, "[train_linker]\nmin_similarty = 1\n", "did you mean 'train_linker.min_similarity'?"),
        (LinkConfig, "[link]\nmethd = 'x'\n", "did you mean 'link.method'?"),
        (RedactConfig, "[redact]\noperater = 'mask'\n", "did you mean 'redact.operator'?"),
        (ReviewConfig, "[reveiw]\nmodel = 'm'\n", "unknown section [reveiw]; did you mean [review]?"),
        (BenchmarkConfig, "[benchmark]\nrepeat = 3\n", "did you mean 'benchmark.repeats'?"),
        (AuditConfig, "[audit]\nperson_label = ['PER']\n", "did you mean 'audit.person_labels'?"),
        (ReportConfig, "[report]\nalias = {}\n", "did you mean 'report.aliases'?"),
        (CorrectionsImportConfig, "[corrections]\nexport = ['e']\n", "did you mean 'corrections.exports'?"),
        (CorrectionsMergeConfig, "[corrections]\nsilvr = 's'\n", "did you mean 'corrections.silver'?"),
    ],
)
def test_a_typo_is_a_did_you_mean_error_naming_the_file(config_class, text, message, tmp_path):
    path = tmp_path / "typo.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_command_config(config_class, path)
    assert message in str(info.value) and str(path) in str(info.value)


@pytest.mark.parametrize(
    ("config_class", "text", "message"),
    [
        (ServeConfig, '[serve]\nmodel = "m"\n[server]\nport = "eighty"\n', "server.port: expected int, got 'eighty'"),
        (ExportConfig, '[export]\nmodel = "m"\nint8 = "maybe"\n', "export.int8: expected true or false"),
        (TrainStaticConfig, '[static]\ndilations = ["a"]\n', "static.dilations[0]: expected int"),
        (LabelConfig, "[label]\noptions = 3\n", "label.options: expected a table"),
        (LabelConfig, "[llm]\nlabels = 3\n", "llm.labels: expected a list of labels or a table"),
        (DistillConfig, "[distillation]\nalpha = [1]\n", "distillation.alpha: expected float"),
        # Values out of range or not among the choices: the section's check names the key.
        (ServeConfig, '[serve]\nmodel = "m"\nthreshold = 2\n', "serve.threshold must be in [0, 1], got 2"),
        (ServeConfig, '[serve]\nmodel = "m"\nconfidence = "vibes"\n', "serve.confidence must be one of"),
        (ServeConfig, '[serve]\nmodel = "m"\ndevice = "tpu"\n', "serve.device must be auto, cpu, cuda or cuda:N"),
        (ExportConfig, '[export]\nmodel = "m"\nopset = 3\n', "export.opset must be >= 7, got 3"),
        (LabelConfig, '[label]\nteacher = "x"\ninput = "y"\nengine = "spark"\n', "label.engine must be one of"),
        (LabelConfig, '[label]\nteacher = "x"\ninput = "y"\n[llm]\nprovider = "z"\n', "llm.provider must be one"),
        (
            TrainStaticConfig,
            '[data]\ntrain = "x"\n[distillation]\nteacher = "t"\n[static]\nkernel_size = 2\n',
            "static.kernel_size must be odd",
        ),
        (DistillConfig, '[distillation]\nteacher = "t"\nalpha = 2\n', "alpha must be in [0, 1]"),
        # Required inputs, which may come from the file or the flag.
        (ExportConfig, "[export]\nint8 = true\n", "export.model is required: pass MODEL, or set model in the [export]"),
        (LabelConfig, '[label]\nteacher = "x"\n', "label.input is required: pass --input"),
        # Secrets never come from a file that is saved and printed.
        (ServeConfig, '[server]\napi_key = "k"\n', "server.api_key: secrets are not read from configs"),
        (LabelConfig, '[llm]\napi_key = "k"\n', "llm.api_key: API keys are not taken from options or configs"),
        # [llm] settings with a teacher that has no LLM would do nothing.
        (LabelConfig, '[label]\nteacher = "spacy:x"\ninput = "y"\n[llm]\nn_examples = 1\n', "no llm: teacher"),
        (EvaluateConfig, '[evaluate]\nmodels = ["m"]\ndata = "d"\ncontext = "page"\n', "evaluate.context must be one"),
        (EvaluateConfig, '[evaluate]\ndata = "d"\n', "evaluate.models is required"),
        (EvaluateConfig, '[evaluate]\nmodels = ["m"]\n', "evaluate.data is required: pass --data"),
        (
            EvaluateConfig,
            '[evaluate]\nmodels = ["m"]\ndata = "d"\ncascade_confidence = "vibes"\n',
            "evaluate.cascade_confidence must be one of",
        ),
        (
            EvaluateConfig,
            '[evaluate]\nmodels = ["m"]\ndata = "d"\ncascade = "f"\nlimit = 3\n',
            "evaluate.cascade scores the whole data",
        ),
        (PredictConfig, '[predict]\nmodel = "m"\nformat = "xml"\n', "predict.format must be one of jsonl, spacy"),
        (PredictConfig, '[predict]\nmodel = "m"\nalignment_mode = "x"\n', "predict.alignment_mode must be one of"),
        (PredictConfig, '[predict]\nmodel = "m"\ndevice = "tpu"\n', "predict.device must be auto, cpu, cuda"),
        (ApplyConfig, '[apply]\nmodel = "m"\ninput = "i"\nengine = "spark"\n', "apply.engine must be one of"),
        (ApplyConfig, '[apply]\nmodel = "m"\ninput = "i"\nshard_size = 0\n', "apply.shard_size must be >= 1"),
        (SelectConfig, '[select]\nmodel = "m"\ninput = "i"\nstrategy = "best"\n', "select.strategy must be one of"),
        (SelectConfig, '[select]\nmodel = "m"\ninput = "i"\npre_annotations = "x"\n', "select.pre_annotations"),
        (SelectConfig, '[select]\nmodel = "m"\n', "select.input is required: pass --input"),
        (BasesConfig, '[bases]\naction = "build"\n', "bases.action must be one of list, prepare, got 'build'"),
        (BasesConfig, '[bases]\naction = "prepare"\n', "bases.name is required to prepare a base"),
        (BasesConfig, '[bases]\nname = "mpnet"\n', "'specialize bases list' takes no name"),
        (TrainLinkerConfig, '[train_linker]\nencoder = "none"\n', "train_linker.train is required: pass --train"),
        (TrainLinkerConfig, '[train_linker]\ntrain = "t"\nmethod = "fuzzy"\n', "train_linker.method must be one of"),
        (TrainLinkerConfig, '[train_linker]\ntrain = "t"\ntarget = "x"\n', "train_linker.target must be one of"),
        (LinkConfig, '[link]\nmodel = "l"\n', "link.input is required: pass --input"),
        (LinkConfig, '[link]\nmodel = "l"\ninput = "i"\nthreads = -1\n', "link.threads must be >= 0, got -1"),
        (RedactConfig, '[redact]\nmodel = "patterns"\nsalt = "s"\n', "redact.salt: secrets are not read from configs"),
        (RedactConfig, '[redact]\nmodel = "patterns"\noperator = "blur"\n', "redact.operator must be one of"),
        (RedactConfig, '[redact]\noperator = "mask"\n', "redact.model is required: pass MODEL"),
        (ReviewConfig, '[review]\ncontracts = ["a.txt"]\n', "review.model is required: pass MODEL"),
        (BenchmarkConfig, '[benchmark]\ndata = "d"\n', "benchmark.models is required: pass MODEL..."),
        (
            BenchmarkConfig,
            '[benchmark]\nmodels = ["m"]\ndata = "d"\nthreads = [1, 0]\n',
            "benchmark.threads[1] must be >= 1, got 0",
        ),
        (BenchmarkConfig, '[benchmark]\nmodels = ["m"]\ndata = "d"\nthreads = []\n', "benchmark.threads must name"),
        (AuditConfig, '[audit]\nmodel = "m"\n', "audit.data is required: pass --data"),
        (AuditConfig, '[audit]\nmodel = "m"\ndata = "d"\ngroups = 3\n', "audit.groups: expected a list"),
        (ReportConfig, '[report]\ntitle = "t"\n', "report.results is required: pass RESULTS..."),
        (
            ReportConfig,
            '[report]\nresults = ["r"]\nprice_per_cpu_hour = -1\n',
            "report.price_per_cpu_hour must be >= 0",
        ),
        (ReportConfig, '[report]\naliases = ["a"]\n', "report.aliases: expected a table"),
        (CorrectionsImportConfig, '[corrections]\nexports = ["e"]\ntool = "doccano"\n', "corrections.tool must be one"),
        (CorrectionsImportConfig, "[corrections]\njson = true\n", "corrections.exports is required: pass EXPORT..."),
        (
            CorrectionsMergeConfig,
            '[corrections]\nsilver = "s"\n',
            "corrections.corrected is required: pass --corrected",
        ),
    ],
)
def test_wrong_values_are_errors_naming_the_key(config_class, text, message, tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_command_config(config_class, path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_an_earlier_label_config_with_only_an_llm_table_still_loads(tmp_path):
    path = tmp_path / "llm.toml"
    path.write_text('[llm]\nbase_url = "http://127.0.0.1:8080/v1"\nlabels = ["Disease"]\n', encoding="utf-8")
    config = load_command_config(LabelConfig, path, {"label.teacher": "llm:m", "label.input": "x"})
    assert config.llm.labels == {"Disease": ""}
    assert config.teacher_options() == {"config": config.llm}
    config.label.teacher = "vote:llm:m+spacy:en"
    assert config.teacher_options() == {"llm.config": config.llm}
    plain = load_command_config(LabelConfig, None, {"label.teacher": "llm:m", "label.input": "x"})
    assert plain.teacher_options() == {}  # nothing set: the teacher reads $SPECIALIZE_LLM_CONFIG as before


def test_label_takes_the_llm_config_of_the_environment_into_the_config_it_saves(tmp_path, monkeypatch):
    from specialize.cli.label import _config_file
    from specialize.teachers.llm_config import LLMConfig

    path = tmp_path / "llm.toml"
    path.write_text("[llm]\nmax_tokens = 64\n", encoding="utf-8")
    monkeypatch.setenv("SPECIALIZE_LLM_CONFIG", str(path))
    args = build_parser().parse_args(["label", "-t", "llm:m", "-i", "x", "-o", "y", "--n-examples", "1"])
    config = resolve_config(args, path=_config_file(args))
    assert (config.llm.max_tokens, config.llm.n_examples) == (64, 1)
    args = build_parser().parse_args(["label", "-t", "spacy:en", "-i", "x", "-o", "y"])  # no LLM: not read
    assert resolve_config(args, path=_config_file(args)).llm == LLMConfig()


def _resolved(argv):
    return resolve_config(build_parser().parse_args(argv))


@pytest.mark.parametrize(
    ("argv", "table", "key", "from_file", "from_flag"),
    [
        (["train", "--output", "o", "--epochs", "7"], "training", "epochs", 2, 7),
        (["distill", "--teacher", "t", "--output", "o", "--temperature", "3"], "distillation", "temperature", 1.5, 3.0),
        (["train-static", "--teacher", "t", "--train", "x", "--output", "o", "--dim", "16"], "static", "dim", 64, 16),
        (["export", "m", "--output", "o", "--opset", "19"], "export", "opset", 18, 19),
        (["serve", "m", "--port", "9000"], "server", "port", 8081, 9000),
        (["label", "-t", "spacy:x", "-i", "in", "-o", "out", "--batch-size", "4"], "label", "batch_size", 8, 4),
        (["evaluate", "m", "--data", "d", "--bootstrap", "7"], "evaluate", "bootstrap", 0, 7),
        (["predict", "m", "--text-field", "body"], "predict", "text_field", "t", "body"),
        (["apply", "m", "-i", "x", "-o", "o", "--shard-size", "9"], "apply", "shard_size", 5, 9),
        (["select", "m", "-i", "x", "-o", "o", "-n", "4"], "select", "n", 10, 4),
        (
            ["train-linker", "--train", "t", "-o", "o", "--min-similarity", "0.5"],
            "train_linker",
            "min_similarity",
            0.25,
            0.5,
        ),
        (["link", "l", "-i", "x", "--text-field", "body"], "link", "text_field", "t", "body"),
        (["redact", "patterns", "--operator", "mask"], "redact", "operator", "hash", "mask"),
        (["benchmark", "m", "--data", "d", "--repeats", "5"], "benchmark", "repeats", 2, 5),
        (["audit", "m", "--data", "d", "--seed", "3"], "audit", "seed", 1, 3),
        (["report", "r.json", "--title", "T"], "report", "title", "F", "T"),
        (
            ["corrections", "import", "e.json", "-o", "c.jsonl", "--tool", "prodigy"],
            "corrections",
            "tool",
            "label-studio",
            "prodigy",
        ),
        (
            ["corrections", "merge", "--corrected", "c", "-o", "m.jsonl", "--silver", "s2"],
            "corrections",
            "silver",
            "s1",
            "s2",
        ),
    ],
)
def test_a_flag_wins_over_the_file_and_an_unset_flag_keeps_the_file(argv, table, key, from_file, from_flag, tmp_path):
    path = tmp_path / "c.toml"
    path.write_text(dump_toml({table: {key: from_file}}), encoding="utf-8")
    flag_value = argv.pop()
    flag = argv.pop()
    config = _resolved([*argv, "--config", str(path)])
    assert getattr(getattr(config, table), key) == from_file
    config = _resolved([*argv, "--config", str(path), flag, flag_value])
    assert getattr(getattr(config, table), key) == from_flag
    config = _resolved([*argv, "--config", str(path), flag, flag_value, "--set", f"{table}.{key}={from_file}"])
    assert getattr(getattr(config, table), key) == from_file  # --set wins over flags


@pytest.mark.parametrize(
    ("argv", "table", "key", "value"),
    [
        (["train-static", "--teacher", "t", "--train", "x", "-o", "o", "--dilations", "1,2,4,8"], "static",
         "dilations", [1, 2, 4, 8]),  # list[int]: once parsed as a single int, so the help's own example failed
        (["distill", "--teacher", "t", "-o", "o", "--layers", "0,2"], "model", "layers", [0, 2]),  # list[int] | None
        # as --print-config writes it
        (["train-static", "--teacher", "t", "--train", "x", "-o", "o", "--set", "static.dilations=[1, 2, 8]"],
         "static", "dilations", [1, 2, 8]),
        (["distill", "--teacher", "t", "-o", "o", "--set", 'data.labels=["Disease", "Chemical entity"]'],
         "data", "labels", ["Disease", "Chemical entity"]),  # list[str] | None: a label may hold a space
    ],
)  # fmt: skip
def test_a_list_flag_takes_the_comma_list_its_help_shows(argv, table, key, value):
    assert getattr(getattr(_resolved(argv), table), key) == value


def test_a_list_that_is_not_toml_is_refused_with_both_spellings():
    with pytest.raises(ConfigError, match=r"static.dilations: '\[1, 2' is not a TOML list .*1,2,4 or \[1, 2, 4\]"):
        _resolved(["train-static", "--teacher", "t", "--train", "x", "-o", "o", "--set", "static.dilations=[1, 2"])


def test_flag_defaults_and_help_come_from_the_dataclasses(capsys):
    args = build_parser().parse_args(["train-static", "-o", "o"])
    assert all(getattr(args, flag.dest) is None for flag in args.config_flags.flags)  # unset: the file decides
    config = _resolved(["train-static", "--teacher", "t", "--train", "x", "-o", "o"])
    assert config.training.epochs == 5 and config.training.learning_rate == 2e-3  # static defaults, not train's
    config = _resolved(["train-static", "--teacher", "t", "--train", "x", "-o", "o", "--learning-rate", "0.01"])
    assert config.training.learning_rate == config.training.head_learning_rate == 0.01
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert f"ONNX opset version (default: {ExportConfig().export.opset})" in text
    assert "--print-config" in text and "(default: None)" not in text


def test_print_config_prints_the_resolved_toml_and_runs_nothing(tmp_path, capsys):
    argv = ["serve", "m", "--port", "9000", "--no-batching", "--max-wait-ms", "2.5", "--api-key", "secret"]
    assert main([*argv, "--print-config"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("# specialize serve --config THIS_FILE\n") and "secret" not in text
    (tmp_path / "serve.toml").write_text(text, encoding="utf-8")
    config = load_command_config(ServeConfig, tmp_path / "serve.toml")
    assert config == _resolved(argv)
    assert (config.server.port, config.server.batching, config.server.max_wait_ms) == (9000, False, 2.5)


def test_serve_config_defaults_are_those_of_serve_and_create_app():
    pytest.importorskip("fastapi")
    from specialize.serve.app import create_app, serve

    parameters = {**inspect.signature(create_app).parameters, **inspect.signature(serve).parameters}
    options = ServeConfig().serve_options()
    for name, value in options.items():
        default = parameters[name].default
        if name in ("step_tokens", "request_timeout"):  # the config writes "off" as 0 (TOML has no null)
            value = value or None
        assert value == default, name


def test_distill_takes_the_teachers_task_and_refuses_another(tmp_path):
    config = _resolved(["distill", "--teacher", "gazetteer:terms.json", "-o", "o"])
    from specialize.cli.distill import _with_teacher_task

    assert _with_teacher_task(config, None).model.task == "ner"
    with pytest.raises(ConfigError, match=r"--task classification but teacher gazetteer:terms\.json"):
        _with_teacher_task(config, "classification")
    config.model.task = "classification"
    with pytest.raises(ConfigError, match=r"model\.task classification but teacher"):
        _with_teacher_task(config, None)


def test_label_writes_its_config_beside_the_output_and_never_replaces_a_file(tmp_path, caplog):
    terms = tmp_path / "terms.tsv"
    terms.write_text("flu\tDisease\n", encoding="utf-8")
    inputs = tmp_path / "in.txt"
    inputs.write_text("flu case\nno case\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    argv = ["label", "-t", f"gazetteer:{terms}", "-i", str(inputs), "--batch-size", "1", "--no-progress"]
    assert main([*argv, "-o", str(out)]) == 0
    saved = out.with_name("out.jsonl.config.toml")
    text = saved.read_text(encoding="utf-8")
    assert text.startswith(f"# specialize label --config {saved} --output NEW_FILE.jsonl")
    config = load_command_config(LabelConfig, saved)
    assert config == _resolved([*argv, "-o", str(out)]) and config.label.batch_size == 1
    # The saved file runs the command again.
    again = tmp_path / "again.jsonl"
    assert main(["label", "--config", str(saved), "-o", str(again), "--no-progress"]) == 0
    assert again.read_text(encoding="utf-8") == out.read_text(encoding="utf-8")
    # A file of that name that the command did not write (or with other settings) stays as it was.
    mine = tmp_path / "mine.jsonl.config.toml"
    mine.write_text("# my notes\n", encoding="utf-8")
    assert main([*argv, "-o", str(tmp_path / "mine.jsonl")]) == 0
    assert mine.read_text(encoding="utf-8") == "# my notes\n" and "is not replaced" in caplog.text


def test_train_writes_its_config_and_the_saved_file_resolves_to_the_same_config(tiny_base, tmp_path):
    from tests.conftest import tiny_sentences

    from specialize.data.io import write_documents

    write_documents(tiny_sentences(), tmp_path / "train.jsonl")
    output = tmp_path / "model"
    argv = ["train", "--train", str(tmp_path / "train.jsonl"), "--base", str(tiny_base), "--layers", "0,1"]
    argv += ["--epochs", "1", "--no-progress", "--set", "training.bf16=false", "--set", "model.max_length=96"]
    assert main([*argv, "--output", str(output)]) == 0
    saved = output / CONFIG_FILE
    text = saved.read_text(encoding="utf-8")
    assert text.splitlines()[0] == f"# specialize train --config {saved} --output NEW_FOLDER"
    resolved = _resolved([*argv, "--output", str(output)])
    assert load_config(saved) == resolved == _resolved(["train", "--config", str(saved), "--output", "again"])
    assert resolved.model.max_length == 96 and resolved.model.layers == [0, 1]
    config = json.loads((output / "config.json").read_text(encoding="utf-8"))
    assert config["specialize"]["training"] == resolved.to_dict()  # still saved in config.json as well
    marker = json.loads((output / ".specialize-output.json").read_text(encoding="utf-8"))
    assert CONFIG_FILE in marker["files"]  # written by the command: --overwrite may replace it


def test_every_section_field_is_in_the_toml():
    """A key missing from the written file would silently take the default of a later version."""
    for config_class in RESOLVED:
        config = load_command_config(config_class, None, RESOLVED[config_class])
        tables = tomllib.loads(config_toml(config))
        for name in tables:
            section = getattr(config, name)
            written = set(tables[name])
            default = type(section)()
            values = {f.name: (getattr(section, f.name), getattr(default, f.name)) for f in fields(section)}
            expected = {key for key, (value, was) in values.items() if value != {} and (value, was) != (None, None)}
            assert written == expected, (config_class.COMMAND, name)
