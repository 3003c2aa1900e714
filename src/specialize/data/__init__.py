"""Documents with character-offset spans, their file formats, alignment and chunking. No torch here."""

from specialize.data.document import Document, Span

__all__ = ["Document", "Span"]
