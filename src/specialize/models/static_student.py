"""A static-embedding student: distilled token vectors, word shapes and a small CNN, for maximum CPU speed.

In the spirit of model2vec, every vocabulary token is run once through an encoder (as ``[CLS] tok [SEP]``)
and its output vector kept, PCA-reduced to ``dim``: a lookup table that carries what the encoder (ideally the
NER teacher itself) knows about each token out of context. Context comes back through a few residual,
dilated Conv1d layers over the subword sequence; a linear head tags each word's first subword with the
teacher's IOB2 labels. Casing reaches the model through word-shape embeddings, as in the transformer students.

``StaticStudent`` is a :class:`~specialize.models.specialist.Specialist`: tokenization, windows, batching,
window merge and constrained decoding are the shared ones, and the ``Trainer``/``DistillationTrainer`` train
it unchanged because its module takes ``input_ids, attention_mask, token_type_ids`` and returns ``.logits``.
Its folder (``config.json`` with ``model_type = "specialize-static"``, ``model.safetensors``,
``tokenizer.json``, ``README.md``) is what ``specialize export`` turns into an ONNX folder for the torch-free
``OnnxPredictor``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from specialize.data.features import InferenceSettings
from specialize.data.model_folder import FORMAT_VERSION, SPAN_TASK, STATIC_MODEL_TYPE, FolderKind, read_model_folder
from specialize.data.word_shape import NUM_SHAPES, SHAPE_CAPITALIZED, SHAPE_LOWER
from specialize.errors import ModelFolderError
from specialize.models.specialist import Specialist

logger = logging.getLogger(__name__)

MODEL_TYPE = STATIC_MODEL_TYPE
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"


@dataclass
class StaticConfig:
    """Architecture of the static student (saved under ``static`` in config.json)."""

    vocab_size: int
    num_labels: int
    dim: int = 128  # embedding size after PCA, and the width of every conv layer
    kernel_size: int = 3
    # One conv layer per entry. Growing dilations widen the context cheaply: (1, 2, 4) with kernel 3 sees
    # 7 subwords either side at the cost of three kernel-3 layers (Strubell et al., 2017: ID-CNN).
    dilations: list[int] = field(default_factory=lambda: [1, 2, 4])
    dropout: float = 0.1
    num_shapes: int = NUM_SHAPES

    def validate(self) -> None:
        if self.dim < 1 or self.vocab_size < 1 or self.num_labels < 1:
            raise ValueError(f"dim, vocab_size and num_labels must be positive: {self}")
        if self.kernel_size < 1 or self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be odd (same-length output), got {self.kernel_size}")
        if not self.dilations or any(d < 1 for d in self.dilations):
            raise ValueError(f"dilations must be a non-empty list of positive integers, got {self.dilations}")


@dataclass
class TaggerOutput:
    """What the training loop and exporters read: ``.logits`` of shape (batch, positions, labels)."""

    logits: torch.Tensor


class ConvBlock(nn.Module):
    """x + GELU(conv(x)), then LayerNorm. Padded positions are zeroed first, so a window's result does not
    depend on how much padding its batch added (same as zero padding at the sequence end).

    The convolution is computed as one matrix product over the ``kernel_size`` shifted copies of the input,
    concatenated: the same numbers as ``conv1d`` with the same weights, but it exports to ONNX as a MatMul,
    which onnxruntime runs faster than its Conv (measured 0.31 s vs 0.39 s on CoNLL test at one thread) and
    which int8 export quantizes to MatMulInteger (0.19 s; int8 Conv is slower than fp32 there).
    """

    def __init__(self, dim: int, kernel_size: int, dilation: int, dropout: float) -> None:
        super().__init__()
        # Stored as a Conv1d so the weights keep their usual layout (out, in, kernel) in the saved file.
        self.conv = nn.Conv1d(dim, dim, kernel_size, padding=dilation * (kernel_size // 2), dilation=dilation)
        self.dropout = nn.Dropout(dropout)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        length = x.shape[1]
        kernel, dilation = self.conv.kernel_size[0], self.conv.dilation[0]
        reach = dilation * (kernel // 2)
        padded = nn.functional.pad(x * mask, (0, 0, reach, reach))
        shifted = torch.cat([padded[:, i * dilation : i * dilation + length] for i in range(kernel)], dim=-1)
        # (out, in, kernel) -> (out, kernel * in), matching the concatenation order above.
        weight = self.conv.weight.permute(0, 2, 1).reshape(self.conv.out_channels, -1)
        y = nn.functional.linear(shifted, weight, self.conv.bias)
        out: torch.Tensor = self.norm(x + self.dropout(nn.functional.gelu(y)))
        return out


class StaticTagger(nn.Module):
    """Token embeddings + word-shape embeddings -> residual dilated CNN -> per-position label logits."""

    def __init__(self, config: StaticConfig, embeddings: np.ndarray | None = None) -> None:
        super().__init__()
        config.validate()
        self.config = config
        self.word_embeddings = nn.Embedding(config.vocab_size, config.dim)
        # Named like BERT's so the Trainer's optimizer puts the fresh shape rows in the head's learning-rate group.
        self.token_type_embeddings = nn.Embedding(config.num_shapes, config.dim)
        nn.init.normal_(self.token_type_embeddings.weight, std=0.02)
        if embeddings is not None:
            if embeddings.shape != (config.vocab_size, config.dim):
                raise ValueError(f"embeddings of shape {embeddings.shape}, expected {(config.vocab_size, config.dim)}")
            with torch.no_grad():
                self.word_embeddings.weight.copy_(torch.from_numpy(np.asarray(embeddings, dtype=np.float32)))
        self.embedding_norm = nn.LayerNorm(config.dim)
        self.dropout = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(
            ConvBlock(config.dim, config.kernel_size, d, config.dropout) for d in config.dilations
        )
        self.classifier = nn.Linear(config.dim, config.num_labels)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
    ) -> TaggerOutput:
        x = self.word_embeddings(input_ids)
        if token_type_ids is not None:
            x = x + self.token_type_embeddings(token_type_ids)
        x = self.dropout(self.embedding_norm(x))
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        mask = attention_mask.unsqueeze(-1).to(x.dtype)
        for block in self.blocks:
            x = block(x, mask)
        return TaggerOutput(self.classifier(x))


# -- token embeddings from an encoder --------------------------------------------------------------------------
def default_shape_ids(type_vocab_size: int) -> list[int]:
    """Lowercase and capitalized when the encoder was trained with word shapes (a specialist), else row 0."""
    return [SHAPE_LOWER, SHAPE_CAPITALIZED] if type_vocab_size >= NUM_SHAPES else [0]


@torch.inference_mode()
def encode_vocabulary(
    encoder: nn.Module,
    vocab_size: int,
    cls_id: int,
    sep_id: int,
    *,
    shape_ids: Sequence[int] = (0,),
    include_input: bool = False,
    batch_size: int = 1024,
) -> np.ndarray:
    """(vocab_size, features): each token's encoder output at its position in ``[CLS] tok [SEP]``.

    ``encoder`` is a transformers base model (``BertModel``-like: ids, mask, token types in; hidden states
    first out). With several ``shape_ids`` the token is encoded once per shape (its token type, as a
    specialist sees a word of that casing) and the outputs are concatenated: a teacher trained with shapes
    says different things about "apple" and "Apple", and PCA keeps what differs. ``include_input`` also
    concatenates the input embedding row, which keeps token identity where the output has mixed it away.
    """
    encoder.eval()
    parts: list[np.ndarray] = []
    for shape in shape_ids:
        rows = []
        for start in range(0, vocab_size, batch_size):
            ids = torch.arange(start, min(start + batch_size, vocab_size), dtype=torch.long)
            n = len(ids)
            input_ids = torch.stack([torch.full((n,), cls_id), ids, torch.full((n,), sep_id)], dim=1)
            types = torch.tensor([0, shape, 0]).expand(n, 3)
            out = encoder(input_ids=input_ids, attention_mask=torch.ones_like(input_ids), token_type_ids=types)
            rows.append(out[0][:, 1].float().numpy())
        parts.append(np.concatenate(rows))
    if include_input:
        table = encoder.get_input_embeddings().weight  # type: ignore[operator]
        parts.append(table[:vocab_size].detach().float().numpy())
    return np.concatenate(parts, axis=1)


def pca_reduce(vectors: np.ndarray, dim: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Project centred ``vectors`` on their top ``dim`` principal axes; unit variance per entry on average.

    ``weights`` (per row, e.g. :func:`frequency_weights`) scale the reduced vectors, as model2vec's Zipf/SIF
    weighting does for sentence embeddings. The global rescaling keeps the table in the range the freshly
    initialised layers expect, whatever the encoder's output scale.
    """
    x = vectors.astype(np.float64)
    x -= x.mean(axis=0)
    if dim > min(x.shape):
        raise ValueError(f"cannot reduce {x.shape[1]}-d vectors of {x.shape[0]} tokens to {dim} dimensions")
    # Eigenvectors of the covariance are the right singular vectors of x: same PCA, far cheaper than an SVD
    # of the (vocabulary x features) matrix itself.
    _, _, vt = np.linalg.svd(x.T @ x, hermitian=True)
    reduced = x @ vt[:dim].T
    reduced /= reduced.std() or 1.0
    if weights is not None:
        reduced *= np.asarray(weights, dtype=np.float64)[:, None]
    return reduced.astype(np.float32)


def frequency_weights(counts: np.ndarray, a: float = 1e-3) -> np.ndarray:
    """SIF weights a / (a + p(token)), normalised to mean 1 over seen tokens; unseen tokens get weight 1."""
    counts = np.asarray(counts, dtype=np.float64)
    p = counts / max(counts.sum(), 1.0)
    w = a / (a + p)
    seen = counts > 0
    if seen.any():
        w[seen] /= w[seen].mean()
    return w


# -- the predictor ---------------------------------------------------------------------------------------------
class StaticStudent(Specialist):
    """A ``Specialist`` whose model is a :class:`StaticTagger` and whose tokenizer is a ``tokenizers.Tokenizer``."""

    model: StaticTagger  # type: ignore[assignment]  # the shared path only needs model(**batch).logits

    def __init__(
        self,
        model: StaticTagger,
        tokenizer: Any,
        settings: InferenceSettings,
        label_list: Sequence[str],
        name: str = "static-student",
        source: str | None = None,
    ) -> None:
        # Specialist.__init__ reads a transformers config and tokenizer; this model has neither.
        if len(label_list) != model.config.num_labels:
            raise ValueError(f"{len(label_list)} labels for a model with {model.config.num_labels} outputs")
        self.model = model
        self.hf_tokenizer = None
        self.name = name
        self._init_tagging(tokenizer, settings, label_list)
        self.source = source  # the encoder the embeddings were distilled from, for the model card

    @classmethod
    def from_encoder(
        cls,
        encoder: nn.Module,
        tokenizer: Any,
        settings: InferenceSettings,
        label_list: Sequence[str],
        *,
        config: StaticConfig | None = None,
        shape_ids: Sequence[int] | None = None,
        include_input: bool = False,
        weights: np.ndarray | None = None,
        name: str = "static-student",
        source: str | None = None,
        seed: int = 0,
    ) -> StaticStudent:
        """A fresh student whose token table is distilled from ``encoder`` (a transformers base model)."""
        torch.manual_seed(seed)
        vocab_size = int(tokenizer.get_vocab_size())
        rows = encoder.get_input_embeddings().num_embeddings  # type: ignore[operator]
        if vocab_size > rows:
            raise ModelFolderError(
                f"the tokenizer has {vocab_size} tokens but the encoder only {rows} embedding rows: they do not match"
            )
        enc_config = getattr(encoder, "config", None)
        shapes = (
            list(shape_ids) if shape_ids is not None else default_shape_ids(getattr(enc_config, "type_vocab_size", 1))
        )
        config = config or StaticConfig(vocab_size=vocab_size, num_labels=len(label_list))
        config.vocab_size, config.num_labels = vocab_size, len(label_list)
        vectors = encode_vocabulary(
            encoder, vocab_size, settings.cls_id, settings.sep_id, shape_ids=shapes, include_input=include_input
        )
        table = pca_reduce(vectors, config.dim, weights)
        logger.info(
            "distilled %d token vectors (%d-d -> %d-d, shapes %s)", vocab_size, vectors.shape[1], config.dim, shapes
        )
        return cls(StaticTagger(config, table), tokenizer, settings, label_list, name=name, source=source)

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, directory: str | Path, extra_config: dict[str, Any] | None = None, card: str | None = None) -> Path:
        """config.json (labels, architecture, ``specialize.inference``), safetensors weights, tokenizer.json
        and a model card (``card``, or a short generated one)."""
        from safetensors.torch import save_file

        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        id2label = {str(i): label for i, label in enumerate(self.label_list)}
        config = {
            "model_type": MODEL_TYPE,
            "architectures": [type(self.model).__name__],
            "id2label": id2label,
            "label2id": {label: i for i, label in enumerate(self.label_list)},
            "static": asdict(self.model.config),
            "specialize": {
                "format_version": FORMAT_VERSION,
                "task": SPAN_TASK,
                "inference": asdict(self.settings),
                "source": self.source,
                **(extra_config or {}),
            },
        }
        (directory / "config.json").write_text(json.dumps(config, indent=2, default=str) + "\n", encoding="utf-8")
        # CPU tensors: the same file whichever device trained the model.
        state = {k: v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        save_file(state, str(directory / WEIGHTS_FILE), metadata={"format": "pt"})
        self.tokenizer.save(str(directory / TOKENIZER_FILE))
        (directory / "README.md").write_text(card if card is not None else self.default_card(), encoding="utf-8")
        return directory

    def default_card(self) -> str:
        c = self.model.config
        return "\n".join(
            [
                f"# {self.name}",
                "",
                f"A static-embedding named-entity student (specialize). Entity types: {', '.join(self.labels)}.",
                f"Token vectors distilled from `{self.source or 'an encoder'}`, {c.dim}-d; {len(c.dilations)} conv "
                f"layers (kernel {c.kernel_size}, dilations {c.dilations}); {self.n_parameters / 1e6:.1f}M parameters.",
                "",
                "```bash",
                "specialize predict THIS_FOLDER --input texts.txt --output entities.jsonl",
                "specialize export THIS_FOLDER --output THIS_FOLDER-onnx  # torch-free, fastest",
                "```",
                "",
            ]
        )

    @classmethod
    def load(cls, directory: str | Path, name: str | None = None) -> StaticStudent:
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        folder = read_model_folder(directory)
        if folder.kind is not FolderKind.STATIC:
            raise ModelFolderError(
                f"{directory} is a {folder.kind.value} folder, not a static student; load it with "
                "specialize.models.resolve.load_model"
            )
        config = StaticConfig(**folder.raw["static"])
        model = StaticTagger(config)
        model.load_state_dict(load_file(str(folder.path / WEIGHTS_FILE)))
        model.eval()
        settings = folder.settings_as(InferenceSettings)
        tokenizer = Tokenizer.from_file(str(folder.path / TOKENIZER_FILE))
        source = folder.specialize.get("source")
        return cls(model, tokenizer, settings, folder.labels, name=name or folder.path.name, source=source)
