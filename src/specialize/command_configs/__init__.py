"""The typed configs of every command but ``train`` (whose is :class:`specialize.config.TrainConfig`).

Each is loaded by :func:`specialize.config.load_command_config` from a TOML file and ``--set SECTION.KEY=VALUE``
overrides (the command's flags are overrides too), validated at load with errors naming the file and the key,
and saved with what the command writes (``specialize_config.toml``), so ``--config THAT_FILE`` runs it again.
Inputs (the teacher, the data, the model) are part of the config; where the output goes is not: it is the
``--output`` of each run.

The configs live in modules by workflow stage; import them from here:

- :mod:`~specialize.command_configs.learning`: ``bases``, ``distill``, ``train-static``, ``export``, ``train-linker``
- :mod:`~specialize.command_configs.inference`: ``serve``, ``label``, ``predict``, ``apply``, ``link``, ``redact``,
  ``review``
- :mod:`~specialize.command_configs.evaluation`: ``evaluate``, ``benchmark``, ``audit``, ``report``
- :mod:`~specialize.command_configs.correction`: ``select``, ``corrections import``, ``corrections merge``

This package reads no model and imports neither torch nor the serve extra: the CLI loads a config (and
``--print-config`` prints it) before anything heavy is imported.
"""

from specialize.command_configs.correction import (
    CORRECTION_TOOLS,
    CorrectionsImportConfig,
    CorrectionsImportSection,
    CorrectionsMergeConfig,
    CorrectionsMergeSection,
    SelectConfig,
    SelectSection,
)
from specialize.command_configs.evaluation import (
    CASCADE_CONFIDENCES,
    AuditConfig,
    AuditSection,
    BenchmarkConfig,
    BenchmarkSection,
    EvaluateConfig,
    EvaluateSection,
    ReportConfig,
    ReportSection,
)
from specialize.command_configs.inference import (
    ENGINES,
    PREDICT_FORMATS,
    REDACT_OPERATORS,
    REDACT_SCOPES,
    ApplyConfig,
    ApplySection,
    LabelConfig,
    LabelSection,
    LinkConfig,
    LinkSection,
    PredictConfig,
    PredictSection,
    RedactConfig,
    RedactSection,
    ReviewConfig,
    ReviewSection,
    ServeConfig,
    ServerSection,
    ServeSection,
    llm_option,
)
from specialize.command_configs.learning import (
    BASES_ACTIONS,
    LINK_METHODS,
    LINK_TARGETS,
    AdaptConfig,
    AdaptSection,
    BasesConfig,
    BasesSection,
    DistillationSection,
    DistillConfig,
    EvaluationSection,
    ExportConfig,
    ExportSection,
    SpeedEvaluationSection,
    StaticDataSection,
    StaticDistillationSection,
    TeacherSection,
    TrainLinkerConfig,
    TrainLinkerSection,
    TrainStaticConfig,
)

__all__ = [
    "BASES_ACTIONS",
    "CASCADE_CONFIDENCES",
    "CORRECTION_TOOLS",
    "ENGINES",
    "LINK_METHODS",
    "LINK_TARGETS",
    "PREDICT_FORMATS",
    "REDACT_OPERATORS",
    "REDACT_SCOPES",
    "AdaptConfig",
    "AdaptSection",
    "ApplyConfig",
    "ApplySection",
    "AuditConfig",
    "AuditSection",
    "BasesConfig",
    "BasesSection",
    "BenchmarkConfig",
    "BenchmarkSection",
    "CorrectionsImportConfig",
    "CorrectionsImportSection",
    "CorrectionsMergeConfig",
    "CorrectionsMergeSection",
    "DistillConfig",
    "DistillationSection",
    "EvaluateConfig",
    "EvaluateSection",
    "EvaluationSection",
    "ExportConfig",
    "ExportSection",
    "LabelConfig",
    "LabelSection",
    "LinkConfig",
    "LinkSection",
    "PredictConfig",
    "PredictSection",
    "RedactConfig",
    "RedactSection",
    "ReportConfig",
    "ReportSection",
    "ReviewConfig",
    "ReviewSection",
    "SelectConfig",
    "SelectSection",
    "ServeConfig",
    "ServeSection",
    "ServerSection",
    "SpeedEvaluationSection",
    "StaticDataSection",
    "StaticDistillationSection",
    "TeacherSection",
    "TrainLinkerConfig",
    "TrainLinkerSection",
    "TrainStaticConfig",
    "llm_option",
]
