"""Teachers: sources of silver labels (specialist folders, spaCy, LLMs, gazetteers, regexes), grounding of
LLM strings to offsets, aggregation of several teachers, and the SQLite label store behind ``label``.

Nothing here imports torch, spaCy or openai at import time; each adapter loads its own on first use.
"""

from specialize.teachers.aggregation import VotingTeacher, aggregate
from specialize.teachers.base import MappedTeacher, PredictorTeacher, Teacher, TeacherOutput, make_fingerprint
from specialize.teachers.grounding import GroundingResult, Mention, ground
from specialize.teachers.label import LabelStats, label, label_documents
from specialize.teachers.rules import GazetteerTeacher, RegexTeacher
from specialize.teachers.spec import load_teacher
from specialize.teachers.store import LabelStore

__all__ = [
    "GazetteerTeacher",
    "GroundingResult",
    "LabelStats",
    "LabelStore",
    "MappedTeacher",
    "Mention",
    "PredictorTeacher",
    "RegexTeacher",
    "Teacher",
    "TeacherOutput",
    "VotingTeacher",
    "aggregate",
    "ground",
    "label",
    "label_documents",
    "load_teacher",
    "make_fingerprint",
]
