"""The typed configs of every command but ``train`` (whose is :class:`specialize.config.TrainConfig`).

Each is loaded by :func:`specialize.config.load_command_config` from a TOML file and ``--set SECTION.KEY=VALUE``
overrides (the command's flags are overrides too), validated at load with errors naming the file and the key,
and saved with what the command writes (``specialize_config.toml``), so ``--config THAT_FILE`` runs it again.
Inputs (the teacher, the data, the model) are part of the config; where the output goes is not: it is the
``--output`` of each run.

The configs live in modules by workflow stage; import them from here:

- :mod:`~specialize.command_configs.learning`: ``distill``, ``train-static``, ``export``
- :mod:`~specialize.command_configs.inference`: ``serve``, ``label``, ``predict``, ``apply``
- :mod:`~specialize.command_configs.evaluation`: ``evaluate``
- :mod:`~specialize.command_configs.correction`: ``select``

This package reads no model and imports neither torch nor the serve extra: the CLI loads a config (and
``--print-config`` prints it) before anything heavy is imported.
"""

from specialize.command_configs.correction import SelectConfig, SelectSection
from specialize.command_configs.evaluation import CASCADE_CONFIDENCES, EvaluateConfig, EvaluateSection
from specialize.command_configs.inference import (
    ENGINES,
    PREDICT_FORMATS,
    ApplyConfig,
    ApplySection,
    LabelConfig,
    LabelSection,
    PredictConfig,
    PredictSection,
    ServeConfig,
    ServerSection,
    ServeSection,
    llm_option,
)
from specialize.command_configs.learning import (
    DistillationSection,
    DistillConfig,
    EvaluationSection,
    ExportConfig,
    ExportSection,
    SpeedEvaluationSection,
    StaticDataSection,
    StaticDistillationSection,
    TeacherSection,
    TrainStaticConfig,
)

__all__ = [
    "CASCADE_CONFIDENCES",
    "ENGINES",
    "PREDICT_FORMATS",
    "ApplyConfig",
    "ApplySection",
    "DistillConfig",
    "DistillationSection",
    "EvaluateConfig",
    "EvaluateSection",
    "EvaluationSection",
    "ExportConfig",
    "ExportSection",
    "LabelConfig",
    "LabelSection",
    "PredictConfig",
    "PredictSection",
    "SelectConfig",
    "SelectSection",
    "ServeConfig",
    "ServeSection",
    "ServerSection",
    "SpeedEvaluationSection",
    "StaticDataSection",
    "StaticDistillationSection",
    "TeacherSection",
    "TrainStaticConfig",
    "llm_option",
]
