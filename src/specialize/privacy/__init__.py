"""PII/PHI redaction: pattern recognizers, a model + patterns predictor, operators, metrics, Presidio anchor.

Nothing here imports torch at import time: models load through ``specialize.models.resolve`` when asked for.
"""

from specialize.privacy.operators import Operator, Redaction, Redactor, Scope
from specialize.privacy.redact import load_redaction_model, redact

__all__ = ["Operator", "Redaction", "Redactor", "Scope", "load_redaction_model", "redact"]
