"""Bias audit: how a model's person recall and F1 change when the names in a test set are swapped.

``specialize audit MODEL --data PATH`` (see :func:`audit`); the name lists and how they were chosen are in
:mod:`specialize.audit.names`, the substitution rules in :mod:`specialize.audit.substitute`.
"""

from specialize.audit.audit import AuditResult, Gap, GroupScores, audit
from specialize.audit.names import NAME_GROUPS, Gender, NameGroup, Origin, name_groups
from specialize.audit.report import audit_markdown, format_audit, update_model_card
from specialize.audit.substitute import PERSON_LABELS, Substitution, substitute_names

__all__ = [
    "NAME_GROUPS",
    "PERSON_LABELS",
    "AuditResult",
    "Gap",
    "Gender",
    "GroupScores",
    "NameGroup",
    "Origin",
    "Substitution",
    "audit",
    "audit_markdown",
    "format_audit",
    "name_groups",
    "substitute_names",
    "update_model_card",
]
