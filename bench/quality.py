#!/usr/bin/env python3
"""Score the extraction pipeline in-process against a gold folder, in seconds.

Runs `extract_many` over the bodies of GOLD_DIR's articles (loaded exactly as the
scorer's `load_gold` does) and prints the scorer's summary JSON. The scorer itself is
imported from the shared eval folder, so the figures are the ones the service is held to.

  --bands   precision per confidence band and recall per gold claim type, both computed
            with the scorer's own `score_article` (a band is scored on its predictions
            alone; a type's recall treats the other types' gold claims as optional, so they
            still absorb their matches but are not counted)
  -v        the scorer's per-article listing of misses and wrong speakers
  --dump    also write the predictions as JSON for `score.py --predictions`

It also reports on stderr the process's resident memory once the model is loaded and once
every article is extracted (what a worker holds; compare with and without --encoder).

Usage: bench/quality.py GOLD_DIR [-v] [--bands] [--score PATH/score.py] [--dump FILE]
The scorer is found at --score, else $CLAIMTRACK_EVAL_DIR/score.py, else
../shared/eval/score.py relative to the repository root.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

BANDS = ((0.0, 0.4), (0.4, 0.6), (0.6, 0.75), (0.75, 0.85), (0.85, 1.01))


def load_scorer(path: str | None):
    if path is None:
        env = os.environ.get("CLAIMTRACK_EVAL_DIR")
        path = str(Path(env) / "score.py") if env else str(REPO.parent / "shared" / "eval" / "score.py")
    spec = importlib.util.spec_from_file_location("claimtrack_eval_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load scorer from {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def resident_mb() -> int:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS:"))


def predict(arts: dict, model: str | None, encoder: bool = False) -> tuple[dict[str, list[dict]], float, int]:
    """The predictions, the seconds extraction took, and resident MB once the model was loaded."""
    from workers.extraction import extract_many, load_model

    nlp = load_model(model, attribution=encoder)
    loaded_mb = resident_mb()
    names = list(arts)
    t0 = time.perf_counter()
    results = list(extract_many((arts[n]["text"] for n in names), nlp))
    elapsed = time.perf_counter() - t0
    preds = {}
    for name, claims in zip(names, results):
        preds[name] = [{"text": c.text, "type": c.type, "cue": c.cue, "confidence": c.confidence,
                        "speaker": {"name": c.speaker.name, "mention": c.speaker.mention,
                                    "title": c.speaker.title, "kind": c.speaker.kind}}
                       for c in claims]
    return preds, elapsed, loaded_mb


def bands(score, arts: dict, preds: dict) -> list[dict]:
    rows = []
    for lo, hi in BANDS:
        tot = {"n": 0, "tp": 0, "tp_speaker": 0, "fp": 0, "fragments": 0}
        for name, a in arts.items():
            sub = [p for p in preds.get(name, []) if lo <= p["confidence"] < hi]
            tot["n"] += len(sub)
            if not sub:
                continue
            r = score.score_article(a["claims"], sub)
            for k in ("tp", "tp_speaker", "fp", "fragments"):
                tot[k] += r[k]
        judged = tot["tp"] + tot["fp"]
        rows.append({"band": f"[{lo:.2f},{min(hi, 1.0):.2f})", **tot,
                     "claim_precision": round(tot["tp"] / judged, 3) if judged else None,
                     "attributed_precision": round(tot["tp_speaker"] / judged, 3) if judged else None})
    return rows


def recall_by_type(score, arts: dict, preds: dict) -> dict[str, dict]:
    out = {}
    for typ in ("direct", "indirect", "mixed"):
        gold = tp = tps = 0
        for name, a in arts.items():
            claims = [dict(g, optional=True) if g.get("type") != typ else g for g in a["claims"]]
            r = score.score_article(claims, preds.get(name, []))
            gold += r["gold"]
            tp += r["tp"]
            tps += r["tp_speaker"]
        out[typ] = {"gold": gold, "tp": tp, "tp_speaker": tps,
                    "recall": round(tp / gold, 3) if gold else None,
                    "attributed_recall": round(tps / gold, 3) if gold else None}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("gold_dir")
    ap.add_argument("--verbose", "-v", action="store_true")
    ap.add_argument("--bands", action="store_true")
    ap.add_argument("--score", help="path to score.py")
    ap.add_argument("--model", help="spaCy package name (default: load_model's choice)")
    ap.add_argument("--dump", help="write predictions JSON here")
    ap.add_argument("--encoder", action="store_true",
                    help="with the attribution encoder (what CLAIMTRACK_ATTRIBUTION_MODEL=on loads)")
    args = ap.parse_args()

    score = load_scorer(args.score)
    arts = score.load_gold(args.gold_dir)
    if not arts:
        raise SystemExit(f"no annotated articles (*.gold.json) in {args.gold_dir}")
    preds, elapsed, loaded_mb = predict(arts, args.model, args.encoder)
    if args.dump:
        Path(args.dump).write_text(json.dumps(preds, ensure_ascii=False, indent=1), encoding="utf-8")
    per = {name: score.score_article(a["claims"], preds.get(name, [])) for name, a in arts.items()}
    if args.verbose:
        for name, r in per.items():
            print(f"## {name}: tp={r['tp']}/{r['gold']} fp={r['fp']} frag={r['fragments']}")
            for m in r["missed"]:
                print("   missed:", m)
            for c, s in r["wrong_speaker"]:
                print(f"   wrong speaker (gold {s}):", c)
    print(json.dumps(score.summarize(per)))
    if args.bands:
        print(json.dumps({"precision_by_confidence": bands(score, arts, preds)}, indent=1))
        print(json.dumps({"recall_by_type": recall_by_type(score, arts, preds)}, indent=1))
    print(f"# {len(arts)} articles extracted in {elapsed:.2f}s; resident memory {loaded_mb} MB with the model "
          f"loaded, {resident_mb()} MB after (peak {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB)",
          file=sys.stderr)


if __name__ == "__main__":
    main()
