"""Tests of {{ cookiecutter.model_name }}: what `mf build` checks, run locally and fast.

    python3 -m venv .venv && .venv/bin/pip install -r requirements-dev.txt && .venv/bin/pytest
"""
import json
import math
import os
import subprocess
import sys

import pytest

from model import OUTPUT, Model

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, "data", "train.csv")
TEST = os.path.join(ROOT, "data", "test.csv")
SEED = {{ cookiecutter.seed | int }}
AUC_GATE = {{ cookiecutter.auc_gate | float }}  # model.yaml's gate
METRICS = {"auc", "log_loss", "accuracy", "precision", "recall", "f1"}
EXAMPLES = [
    {"tenure": 2, "contract": "monthly", "monthly_charges": 95.5},
    {"tenure": 60, "contract": "yearly", "monthly_charges": 35.0},
]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    artifacts = tmp_path_factory.mktemp("artifacts")
    model = Model()
    metrics = model.train(TRAIN, str(artifacts), SEED)
    return model, metrics, artifacts


def test_describe_names_the_model():
    description = Model().describe()
    assert description["model"] == "{{ cookiecutter.model_slug }}"
    assert description["features"] == ["tenure", "monthly", "monthly_charges"]


def test_train_reports_metrics_and_writes_artifacts(trained):
    _, metrics, artifacts = trained
    assert set(metrics) == METRICS
    assert all(math.isfinite(value) for value in metrics.values())
    assert os.listdir(artifacts) == ["model.pkl"]


def test_evaluation_passes_the_gate(trained):
    model, _, _ = trained
    metrics = model.evaluate(TEST)
    assert set(metrics) == METRICS
    assert metrics["auc"] >= AUC_GATE
    assert 0 <= metrics["accuracy"] <= 1


def test_predict_gives_one_probability_per_instance(trained):
    model, _, _ = trained
    predictions = model.predict(EXAMPLES)
    assert len(predictions) == len(EXAMPLES)
    assert all(set(p) == {OUTPUT} and 0 <= p[OUTPUT] <= 1 for p in predictions)
    # A new customer on a monthly contract is likelier to leave than a loyal yearly one.
    assert predictions[0][OUTPUT] > predictions[1][OUTPUT]
    assert model.predict([]) == []


def test_load_gives_the_same_predictions(trained):
    model, _, artifacts = trained
    loaded = Model()
    loaded.load(str(artifacts))
    assert loaded.predict(EXAMPLES) == model.predict(EXAMPLES)


def test_training_is_repeatable(trained, tmp_path):
    model, metrics, _ = trained
    again = Model()
    assert again.train(TRAIN, str(tmp_path), SEED) == metrics
    assert again.predict(EXAMPLES) == model.predict(EXAMPLES)


def test_the_data_is_made_from_its_seed(tmp_path):
    subprocess.run([sys.executable, os.path.join(ROOT, "data", "make_data.py"), str(tmp_path)], check=True)
    for name in ["train.csv", "test.csv"]:
        with open(os.path.join(ROOT, "data", name), "rb") as committed, open(tmp_path / name, "rb") as made:
            assert committed.read() == made.read(), f"data/{name} differs from what data/make_data.py makes"


def test_the_runner_serves_the_model(tmp_path):
    """The worker as the factory drives it: JSON-RPC 2.0, one message per line."""
    calls = [
        ("describe", {}),
        ("train", {"data": TRAIN, "artifacts": str(tmp_path), "seed": SEED}),
        ("evaluate", {"data": TEST}),
        ("predict", {"instances": EXAMPLES}),
        ("health", {}),
        ("shutdown", {}),
    ]
    requests = "".join(json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": p}) + "\n" for i, (m, p) in enumerate(calls))
    worker = subprocess.run(
        [sys.executable, "-u", os.path.join(ROOT, "mf_runner.py")],
        input=requests, capture_output=True, text=True, timeout=120, check=True,
    )
    answers = [json.loads(line) for line in worker.stdout.splitlines()]
    assert [a["id"] for a in answers] == list(range(len(calls)))
    assert all("error" not in a for a in answers), worker.stderr
    assert answers[0]["result"]["model"] == "{{ cookiecutter.model_slug }}"
    assert answers[2]["result"]["metrics"]["auc"] >= AUC_GATE
    assert len(answers[3]["result"]["predictions"]) == len(EXAMPLES)
    assert answers[4]["result"] == {"status": "ok"}
