"""Request and response bodies of the HTTP app (pydantic): entities, classification and redaction.

Every ``POST`` takes the same three shapes: exactly one of ``text`` (one document), ``texts`` (a list) or
``documents`` (``{"id", "text"}`` objects, ids echoed back). A ``text`` request is answered at the top level,
``texts``/``documents`` with a ``documents`` list in the same order.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from specialize.privacy.operators import Operator, Scope


def _check_text(value: str) -> str:
    if not value.strip():
        raise ValueError("text is empty; send at least one non-space character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # JSON allows "\ud800" escapes that decode to lone surrogates; the tokenizer cannot take them.
        raise ValueError(
            "text holds an unpaired surrogate (a lone \\ud800-\\udfff escape); send valid Unicode"
        ) from None
    return value


Text = Annotated[str, AfterValidator(_check_text)]
DocumentId = str | int | None


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: DocumentId = None
    text: Text


class TextsRequest(BaseModel):
    """Exactly one of ``text`` (one document), ``texts`` or ``documents`` (with ids echoed back)."""

    model_config = ConfigDict(extra="forbid")
    text: Text | None = None
    texts: list[Text] | None = Field(default=None, min_length=1)
    documents: list[DocumentIn] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_form(self) -> TextsRequest:
        given = [name for name in ("text", "texts", "documents") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of 'text', 'texts' or 'documents' (got {given or 'none'})")
        return self

    def items(self) -> list[tuple[DocumentId, str]]:
        if self.text is not None:
            return [(None, self.text)]
        if self.texts is not None:
            return [(None, t) for t in self.texts]
        return [(d.id, d.text) for d in self.documents or []]


# -- entities ----------------------------------------------------------------------------------------------
class EntitiesRequest(TextsRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "Obama visited Paris."},
                {"texts": ["Obama visited Paris.", "Merkel met Smith in Berlin."]},
                {"documents": [{"id": "a1", "text": "Obama visited Paris."}]},
            ]
        },
    )


class SpanOut(BaseModel):
    start: int = Field(description="character offset (Unicode code points) of the first character")
    end: int = Field(description="character offset just past the last character")
    label: str
    text: str
    score: float | None = Field(default=None, description="model confidence in [0, 1]; absent when unscored")


class DocumentOut(BaseModel):
    id: DocumentId = None
    model: str = Field(description="the model that answered (the fallback's name when deferred)")
    spans: list[SpanOut]


class EntitiesResponse(BaseModel):
    """``model`` and ``spans`` answer a ``text`` request; ``documents`` answers ``texts``/``documents``."""

    model: str | None = None
    spans: list[SpanOut] | None = None
    documents: list[DocumentOut] | None = None


# -- classification ----------------------------------------------------------------------------------------
class ClassifyRequest(TextsRequest):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "The patient was treated with chemotherapy."},
                {"documents": [{"id": "n1", "text": "The patient was treated with chemotherapy."}]},
            ]
        },
    )


class LabelsOut(BaseModel):
    id: DocumentId = None
    model: str = Field(description="the model that answered (the fallback's name when deferred)")
    labels: list[str] = Field(description="the predicted labels (one for a single-label model, any for multi-label)")
    scores: dict[str, float] = Field(description="every label's probability")


class ClassifyResponse(BaseModel):
    """``model``, ``labels`` and ``scores`` answer a ``text`` request; ``documents`` answers the others."""

    model: str | None = None
    labels: list[str] | None = None
    scores: dict[str, float] | None = None
    documents: list[LabelsOut] | None = None


# -- redaction ---------------------------------------------------------------------------------------------
class RedactRequest(TextsRequest):
    """Texts plus the options of ``specialize redact``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "Call John Smith at 555-123-4567.", "operator": "tag"},
                {"texts": ["Mail jane@example.com"], "operator": "surrogate", "labels": ["EMAIL_ADDRESS"]},
            ]
        },
    )
    operator: Operator = Field(
        default=Operator.TAG,
        description="mask: *****; tag: <PERSON>; hash: keyed SHA-256 (16 hex digits); surrogate: a consistent fake",
    )
    salt: str | None = Field(
        default=None,
        min_length=1,
        description="secret key for hash and surrogate (default: the server's, from --redact-salt)",
    )
    scope: Scope = Field(
        default=Scope.RUN,
        description="surrogates: the same value gets the same fake across this request's documents, or per document",
    )
    labels: list[str] | None = Field(
        default=None, min_length=1, description="redact only these types (default: every type found)"
    )
    patterns: bool = Field(
        default=True, description="add the pattern recognizers (e-mail, phone, card, IBAN, SSN, IP, URL, ZIP)"
    )


class ReplacementOut(BaseModel):
    start: int = Field(description="offset of the replaced value in the input text")
    end: int
    label: str
    replacement: str
    out_start: int = Field(description="offset of the replacement in the redacted text")
    out_end: int
    score: float | None = None


class RedactedOut(BaseModel):
    id: DocumentId = None
    model: str
    text: str = Field(description="the redacted text")
    spans: list[ReplacementOut]


class RedactResponse(BaseModel):
    """``model``, ``text`` and ``spans`` answer a ``text`` request; ``documents`` answers the others. The
    original values are never sent back."""

    model: str | None = None
    text: str | None = None
    spans: list[ReplacementOut] | None = None
    documents: list[RedactedOut] | None = None
