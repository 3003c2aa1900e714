"""Domain-adaptive pretraining: a base encoder goes on with masked-language-model training on in-domain text.

A general encoder (all-MiniLM-L6-v2) has seen little biomedical or legal text; a few epochs of masked-LM on the
domain's own sentences (Gururangan et al. 2020, "Don't Stop Pretraining") move its vocabulary use toward the domain
before a specialist is trained on it: ``specialize adapt --base minilm --text bc2gm:train --output ADAPTED``, then
``specialize train --base ADAPTED``. Unlabeled text only: dataset names are read with their labels dropped.

The texts are tokenized once, concatenated (a separator between texts) and cut into blocks of ``max_length``;
``mlm_probability`` of the tokens are masked afresh every epoch, whole words at a time (all subwords of a word
together, so a word cannot be guessed from its own pieces), 80% as [MASK], 10% a random token, 10% unchanged.
Sentence-embedding checkpoints carry no masked-LM head: a fresh one learns at ``head_learning_rate`` beside the
pretrained encoder's ``learning_rate``. The loss on a held-out share of the blocks, masked once with a fixed seed,
is measured before and after, so the card says whether the model learned the domain. The output folder is a plain
``transformers`` masked-LM folder (``AutoModel`` and ``AutoModelForMaskedLM`` load it) with its tokenizer, a card
and ``adapt.json``.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from specialize.config import CommandConfig, write_run_config
from specialize.data.loading import LoadedData
from specialize.errors import ConfigError, DataError
from specialize.training.args import AdaptArgs
from specialize.training.outputs import claim_run_output
from specialize.utils.device import resolve_device

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

ADAPT_FILE = "adapt.json"
IGNORE = -100  # label of a position the loss skips
MaskedBatch = tuple[np.ndarray, np.ndarray, np.ndarray]  # input ids, attention mask, labels


@dataclass
class Blocks:
    """The text cut into model inputs: token ids per block, and for each token the index of its word in the block
    (-1 for the special tokens), so whole words are masked together."""

    ids: np.ndarray  # (blocks, max_length) int64
    words: np.ndarray  # (blocks, max_length) int64
    lengths: np.ndarray  # (blocks,) real tokens per block, specials included


@dataclass
class AdaptResult:
    output: Path
    held_out_loss_before: float
    held_out_loss_after: float
    steps: int
    train_seconds: float


def make_blocks(tokenizer: Any, texts: Sequence[str], max_length: int) -> Blocks:
    """Tokenize ``texts`` (fast tokenizer: word ids), join them with the separator token and cut the stream into
    blocks of ``max_length`` tokens, [CLS] ... [SEP] each; a word cut by a block boundary stays whole in neither
    half's masking, which is harmless."""
    if max_length < 8:
        raise ConfigError(f"adapt.max_length must be >= 8, got {max_length}")
    cls_id, sep_id, pad_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id
    if cls_id is None or sep_id is None or pad_id is None:
        raise ConfigError("the base's tokenizer has no [CLS]/[SEP]/[PAD] tokens (<s>, </s>, <pad>); it cannot adapt")
    stream_ids: list[int] = []
    stream_words: list[int] = []
    word_offset = 0
    encodings = tokenizer(list(texts), add_special_tokens=False, truncation=False)
    for i in range(len(texts)):
        word_ids = encodings.word_ids(i)
        stream_ids += encodings["input_ids"][i] + [sep_id]
        stream_words += [word_offset + (w if w is not None else 0) for w in word_ids] + [-1]
        word_offset += max((w for w in word_ids if w is not None), default=-1) + 1
    body = max_length - 2
    n_blocks = max(1, math.ceil(len(stream_ids) / body))
    ids = np.full((n_blocks, max_length), pad_id, dtype=np.int64)
    words = np.full((n_blocks, max_length), -1, dtype=np.int64)
    lengths = np.zeros(n_blocks, dtype=np.int64)
    for b in range(n_blocks):
        piece, piece_words = stream_ids[b * body : (b + 1) * body], stream_words[b * body : (b + 1) * body]
        n = len(piece) + 2
        ids[b, :n] = [cls_id, *piece, sep_id]
        words[b, 1 : n - 1] = piece_words
        lengths[b] = n
    return Blocks(ids, words, lengths)


def mask_blocks(
    blocks: Blocks, rows: np.ndarray, rng: np.random.Generator, tokenizer: Any, probability: float, whole_words: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Masked inputs and labels for the blocks ``rows``: about ``probability`` of the tokens, whole words when
    ``whole_words``, 80/10/10 [MASK]/random/unchanged; labels are the original ids there, IGNORE elsewhere."""
    inputs = blocks.ids[rows].copy()
    labels = np.full_like(inputs, IGNORE)
    special = set(tokenizer.all_special_ids)
    vocab = len(tokenizer)
    for r, row in enumerate(rows):
        n = int(blocks.lengths[row])
        candidates = [i for i in range(n) if int(inputs[r, i]) not in special]
        if not candidates:
            continue
        if whole_words:
            groups: dict[int, list[int]] = {}
            for i in candidates:
                groups.setdefault(int(blocks.words[row, i]), []).append(i)
            units = list(groups.values())
        else:
            units = [[i] for i in candidates]
        budget = max(1, round(probability * len(candidates)))
        chosen: list[int] = []
        for u in rng.permutation(len(units)):
            if len(chosen) >= budget:
                break
            chosen += units[u]
        positions = np.array(chosen, dtype=np.int64)
        labels[r, positions] = inputs[r, positions]
        roll = rng.random(len(positions))
        inputs[r, positions[roll < 0.8]] = tokenizer.mask_token_id
        randomized = positions[(roll >= 0.8) & (roll < 0.9)]
        inputs[r, randomized] = rng.integers(0, vocab, size=len(randomized))
    return inputs, labels


def _mlm_head(model: Any) -> Any:
    """The masked-LM head module (applied to the masked positions only: the vocabulary projection of every
    position would cost as much as the encoder), or None when the architecture keeps it elsewhere."""
    for name in ("cls", "lm_head"):
        head = getattr(model, name, None)
        if head is not None:
            return head
    return None


def _loss(model: Any, head: Any, inputs: torch.Tensor, attention: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    import torch

    if head is None:
        return model(input_ids=inputs, attention_mask=attention, labels=labels).loss
    hidden = model.base_model(input_ids=inputs, attention_mask=attention).last_hidden_state
    where = labels != IGNORE
    logits = head(hidden[where])
    return torch.nn.functional.cross_entropy(logits.float(), labels[where])


def held_out_loss(model: Any, head: Any, batches: Sequence[MaskedBatch], device: Any) -> float:
    """Mean masked-LM loss per masked token on fixed masked batches."""
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for inputs, attention, labels in batches:
            n = int((labels != IGNORE).sum())
            if n == 0:
                continue
            loss = _loss(model, head, *(torch.as_tensor(a, device=device) for a in (inputs, attention, labels)))
            total += float(loss) * n
            count += n
    model.train()
    return total / count if count else float("nan")


def adapt(
    base: str | Path,
    texts: LoadedData[Any],
    output: str | Path,
    args: AdaptArgs,
    *,
    overwrite: bool = False,
    command: str | None = None,
    saved_config: CommandConfig | None = None,
) -> AdaptResult:
    """Go on with masked-LM pretraining of ``base`` (a folder) on ``texts`` and save the adapted encoder in
    ``output`` (a folder ``transformers`` and ``specialize train --base`` load)."""
    import torch
    from transformers import AutoModelForMaskedLM, AutoTokenizer

    args.validate()
    output = Path(output)
    claim = claim_run_output(output, "adapt", None, str(base), texts.path, overwrite=overwrite)
    raw = [item.text for item in texts.items if item.text.strip()]
    if args.limit is not None:
        raw = raw[: args.limit]
    if not raw:
        raise DataError(f"{texts.source}: no text to adapt on")
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    device = resolve_device(args.device)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    if not getattr(tokenizer, "is_fast", False) or tokenizer.mask_token_id is None:
        raise ConfigError(f"base {base}: adapting needs a fast tokenizer with a mask token")
    model, loading = AutoModelForMaskedLM.from_pretrained(str(base), output_loading_info=True)
    fresh = set(loading.get("missing_keys") or [])
    if fresh:
        logger.info("%s has no masked-LM head (%d tensors): a fresh one learns at %g", base, len(fresh),
                    args.head_learning_rate)  # fmt: skip
    model.to(device)
    head = _mlm_head(model)

    blocks = make_blocks(tokenizer, raw, args.max_length)
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(len(blocks.ids))
    n_held = min(len(order) - 1, max(1, round(args.held_out * len(order)))) if len(order) > 1 else 0
    held_rows, train_rows = order[:n_held], order[n_held:]
    if len(train_rows) == 0:
        raise DataError(f"{texts.source}: {len(raw)} texts make {len(blocks.ids)} block(s), too few to adapt on")

    def batch_of(rows: np.ndarray, r: np.random.Generator) -> MaskedBatch:
        inputs, labels = mask_blocks(blocks, rows, r, tokenizer, args.mlm_probability, args.whole_words)
        longest = int(blocks.lengths[rows].max())
        attention = (np.arange(longest)[None, :] < blocks.lengths[rows][:, None]).astype(np.int64)
        return inputs[:, :longest], attention, labels[:, :longest]

    held_rng = np.random.default_rng(args.seed + 1)  # the same masks before and after
    held = [batch_of(held_rows[i : i + args.batch_size], held_rng) for i in range(0, n_held, args.batch_size)]
    before = held_out_loss(model, head, held, device)
    logger.info("held-out masked-LM loss before: %.4f on %d blocks", before, n_held)

    # Only a freshly made head learns fast: a pretrained one, like the encoder, is already where it should be.
    head_names = {n for n, _ in model.named_parameters() if n in fresh}
    groups = [
        {"params": [p for n, p in model.named_parameters() if n not in head_names], "lr": args.learning_rate},
        {"params": [p for n, p in model.named_parameters() if n in head_names], "lr": args.head_learning_rate},
    ]
    optimizer = torch.optim.AdamW([g for g in groups if g["params"]], weight_decay=args.weight_decay)
    steps_per_epoch = math.ceil(len(train_rows) / args.batch_size)
    total = steps_per_epoch * args.epochs
    warmup = max(1, round(args.warmup_ratio * total))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    model.train()
    start = time.perf_counter()
    step, last_log = 0, start
    for epoch in range(args.epochs):
        rows = rng.permutation(train_rows)
        for i in range(0, len(rows), args.batch_size):
            batch = batch_of(rows[i : i + args.batch_size], rng)
            loss = _loss(model, head, *(torch.as_tensor(a, device=device) for a in batch))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.max_grad_norm)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            if (args.progress and step % 50 == 0) or time.perf_counter() - last_log > 300:
                logger.info("adapt epoch %d step %d/%d: loss %.4f", epoch + 1, step, total, loss.item())
                last_log = time.perf_counter()
    train_seconds = time.perf_counter() - start
    after = held_out_loss(model, head, held, device)
    logger.info("held-out masked-LM loss after: %.4f (before %.4f), %d steps in %.0f s", after, before, step,
                train_seconds)  # fmt: skip

    info = {
        "base": str(base),
        "texts": [{"source": part.source, "path": str(part.path) if part.path else None, "sha256": part.sha256,
                   "n_texts": len(part.items)} for part in texts.files()],
        "n_texts": len(raw),
        "blocks": {"train": len(train_rows), "held_out": int(n_held), "max_length": args.max_length},
        "held_out_loss": {"before": round(before, 4), "after": round(after, 4)},
        "steps": step,
        "train_seconds": round(train_seconds, 1),
        "device": str(device),
        "args": asdict(args),
        "command": command,
    }  # fmt: skip
    with claim.writing() as folder:
        model.to("cpu").save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        (folder / ADAPT_FILE).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        (folder / "README.md").write_text(model_card(info), encoding="utf-8")
        write_run_config(folder, saved_config, output)
    return AdaptResult(output, before, after, step, train_seconds)


def model_card(info: dict[str, Any]) -> str:
    rows = "\n".join(f"| {t['source']} | {t['n_texts']} | `{t['sha256'] or '-'}` |" for t in info["texts"])
    loss = info["held_out_loss"]
    return f"""---
library_name: transformers
tags: [specialize, domain-adaptive-pretraining, fill-mask]
---
# {Path(info["base"]).name}, adapted to a domain

`{info["base"]}` after {info["steps"]} more steps of masked-language-model training on {info["n_texts"]} unlabeled
texts ({info["blocks"]["train"]} blocks of {info["blocks"]["max_length"]} tokens; {info["train_seconds"]:.0f} s on
{info["device"]}), written by `specialize adapt`. Train a specialist on it with `specialize train --base THIS_FOLDER`.

Masked-LM loss on {info["blocks"]["held_out"]} held-out blocks (fixed masks): **{loss["before"]:.4f} before,
{loss["after"]:.4f} after**.

| texts | count | sha256 |
|---|---|---|
{rows}

Command: `{info["command"] or "-"}`
"""
