#!/usr/bin/env python3
"""Model Factory's Python runner: serves a plugin's model.py over the factory's interface.

One file, standard library only. A plugin ships it beside model.py; the factory starts
`python3 -u mf_runner.py`, which speaks JSON-RPC 2.0 on stdin/stdout, one message per line.
Anything the model prints goes to stderr, the worker's log.

model.py provides either functions or a class named Model with methods:
    train(data, artifacts, seed) -> metrics dict (may be None)
    load(artifacts)
    evaluate(data) -> metrics dict
    predict(instances) -> list of prediction dicts, one per instance
    describe() -> dict (optional)

The metric functions and the seeded split below are the same definitions as ModelKit's
(Score, Table.split, SeededGenerator), so Swift and Python models measure alike.
"""

import base64
import csv
import importlib.util
import io
import json
import math
import os
import pickle
import sys
import traceback

MASK = (1 << 64) - 1


class SeededGenerator:
    """SplitMix64, as ModelKit's SeededGenerator."""

    def __init__(self, seed):
        self.state = seed & MASK

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK
        value = self.state
        value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & MASK
        return value ^ (value >> 31)

    def shuffle(self, items):
        for index in range(len(items) - 1, 0, -1):
            other = self.next() % (index + 1)
            items[index], items[other] = items[other], items[index]


def read_table(path):
    """A CSV file as (columns, rows of text)."""
    with open(path, newline="") as handle:
        records = [row for row in csv.reader(handle) if row != []]
    if not records:
        raise ValueError("the CSV has no header row")
    header = records[0]
    for number, row in enumerate(records, start=1):
        if len(row) != len(header):
            raise ValueError(f"CSV row {number} has {len(row)} fields; the header has {len(header)}")
    return header, records[1:]


def split(rows, test_fraction, seed):
    """(train, test) rows: shuffled with the seed, the first round(n * fraction) for testing."""
    order = list(range(len(rows)))
    SeededGenerator(seed).shuffle(order)
    count = int(math.floor(len(rows) * min(max(test_fraction, 0), 1) + 0.5))
    return [rows[i] for i in order[count:]], [rows[i] for i in order[:count]]


def accuracy(truth, predicted):
    return sum(1 for a, b in zip(truth, predicted) if a == b) / len(truth) if truth else float("nan")


def _confusion(truth, predicted):
    tp = sum(1 for a, b in zip(truth, predicted) if a == 1 and b == 1)
    fp = sum(1 for a, b in zip(truth, predicted) if a != 1 and b == 1)
    fn = sum(1 for a, b in zip(truth, predicted) if a == 1 and b != 1)
    return tp, fp, fn


def precision(truth, predicted):
    tp, fp, _ = _confusion(truth, predicted)
    return 0.0 if tp + fp == 0 else tp / (tp + fp)


def recall(truth, predicted):
    tp, _, fn = _confusion(truth, predicted)
    return 0.0 if tp + fn == 0 else tp / (tp + fn)


def f1(truth, predicted):
    p, r = precision(truth, predicted), recall(truth, predicted)
    return 0.0 if p + r == 0 else 2 * p * r / (p + r)


def roc_auc(truth, scores):
    positives = sum(1 for t in truth if t == 1)
    negatives = len(truth) - positives
    if positives == 0 or negatives == 0 or len(truth) != len(scores):
        return float("nan")
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    start = 0
    while start < len(order):
        end = start
        while end + 1 < len(order) and scores[order[end + 1]] == scores[order[start]]:
            end += 1
        for position in range(start, end + 1):
            ranks[order[position]] = (start + end) / 2 + 1
        start = end + 1
    positive_ranks = sum(ranks[i] for i in range(len(truth)) if truth[i] == 1)
    return (positive_ranks - positives * (positives + 1) / 2) / (positives * negatives)


def log_loss(truth, probabilities):
    if not truth or len(truth) != len(probabilities):
        return float("nan")
    epsilon = 1e-15
    total = 0.0
    for label, p in zip(truth, probabilities):
        p = min(max(p, epsilon), 1 - epsilon)
        total -= math.log(p) if label == 1 else math.log(1 - p)
    return total / len(truth)


def rmse(truth, predicted):
    if not truth or len(truth) != len(predicted):
        return float("nan")
    return math.sqrt(sum((a - b) ** 2 for a, b in zip(truth, predicted)) / len(truth))


def mae(truth, predicted):
    if not truth or len(truth) != len(predicted):
        return float("nan")
    return sum(abs(a - b) for a, b in zip(truth, predicted)) / len(truth)


def r2(truth, predicted):
    if not truth or len(truth) != len(predicted):
        return float("nan")
    mean = sum(truth) / len(truth)
    residual = sum((a - b) ** 2 for a, b in zip(truth, predicted))
    total = sum((a - mean) ** 2 for a in truth)
    if total == 0:
        return 1.0 if residual == 0 else 0.0
    return 1 - residual / total


def _load_model(path):
    spec = importlib.util.spec_from_file_location("model", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["model"] = module
    spec.loader.exec_module(module)
    return module.Model() if hasattr(module, "Model") else module


def _metrics(values):
    return {name: (float(value) if value is not None and math.isfinite(float(value)) else None)
            for name, value in (values or {}).items()}


class _NotPlain(Exception):
    """A prediction holds something other than None, bool, int, float, str, list or dict."""


class _PlainPickler(pickle.Pickler):
    # Called only for objects that are not of the plain built-in types (numpy numbers, say):
    # the factory reads plain values only, so such predictions go back as JSON instead.
    def reducer_override(self, obj):
        raise _NotPlain()


def _pickled(value):
    """value as base64 of a protocol 4 pickle of plain values, or None when it holds others."""
    out = io.BytesIO()
    try:
        _PlainPickler(out, protocol=4).dump(value)
    except _NotPlain:
        return None
    return base64.b64encode(out.getvalue()).decode("ascii")


def _handle(model, request):
    method, params = request.get("method"), request.get("params") or {}
    if method == "describe":
        return model.describe() if hasattr(model, "describe") else {"model": "model.py"}
    if method == "health":
        return {"status": "ok"}
    if method == "train":
        return {"metrics": _metrics(model.train(params["data"], params["artifacts"], int(params.get("seed") or 0)))}
    if method == "load":
        model.load(params["artifacts"])
        # This runner also takes predict's instances as a pickle (docs/worker-protocol.md).
        return {"loaded": True, "encodings": ["pickle"]}
    if method == "evaluate":
        return {"metrics": _metrics(model.evaluate(params["data"]))}
    if method == "predict":
        packed = params.get("pickle")
        if packed is not None:
            # Binary predict: the factory wrote a list of dicts of plain values.
            instances = pickle.loads(base64.b64decode(packed))
        else:
            instances = params.get("instances")
        if not isinstance(instances, list) or not all(isinstance(i, dict) for i in instances):
            raise ValueError("predict needs params.instances, a list of objects")
        predictions = list(model.predict(instances))
        if len(predictions) != len(instances):
            raise ValueError(f"the model gave {len(predictions)} predictions for {len(instances)} instances")
        if packed is not None:
            answer = _pickled(predictions)
            if answer is not None:
                return {"pickle": answer}
        return {"predictions": predictions}
    raise LookupError(method)


def main():
    # Answers go to the real stdout; everything else printed goes to the log.
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, here)
    model = None
    load_error = None
    try:
        model = _load_model(os.environ.get("MF_MODEL_FILE", os.path.join(here, "model.py")))
    except Exception:
        load_error = traceback.format_exc(limit=3)
        sys.stderr.write(load_error)
    for line in sys.stdin:
        if not line.strip():
            continue
        ident = None
        try:
            request = json.loads(line)
            ident = request.get("id")
            method = request.get("method")
            if method == "shutdown":
                answers.write(json.dumps({"jsonrpc": "2.0", "id": ident, "result": None}) + "\n")
                return
            if model is None:
                raise RuntimeError("model.py could not be loaded: " + load_error.strip().splitlines()[-1])
            result = _handle(model, request)
            answers.write(json.dumps({"jsonrpc": "2.0", "id": ident, "result": result}) + "\n")
        except json.JSONDecodeError:
            answers.write(json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "not a JSON-RPC request"}}) + "\n")
        except LookupError as error:
            if isinstance(error, KeyError):
                message = f"missing parameter {error}"
                answers.write(json.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": -32602, "message": message}}) + "\n")
            else:
                answers.write(json.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": -32601, "message": f"unknown method '{error}'"}}) + "\n")
        except Exception as error:
            traceback.print_exc(file=sys.stderr)
            answers.write(json.dumps({"jsonrpc": "2.0", "id": ident, "error": {"code": -32000, "message": f"{type(error).__name__}: {error}"}}) + "\n")


if __name__ == "__main__":
    main()
