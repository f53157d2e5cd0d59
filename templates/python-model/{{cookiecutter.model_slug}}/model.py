"""{{ cookiecutter.model_name }}: {{ cookiecutter.description }}

{{ cookiecutter.algorithm.replace('_', ' ') | capitalize }} (scikit-learn) on tenure, contract and monthly
charges. mf_runner.py serves this file over Model Factory's interface: it calls train, load,
evaluate, predict and describe on the Model class below.
"""
import os
import pickle

{% if cookiecutter.algorithm == "random_forest" -%}
from sklearn.ensemble import RandomForestClassifier
{%- else -%}
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler
{%- endif %}

from mf_runner import accuracy, f1, log_loss, precision, read_table, recall, roc_auc

NAME = "{{ cookiecutter.model_slug }}"
ALGORITHM = "{{ cookiecutter.algorithm.replace('_', ' ') }}"
FEATURES = ["tenure", "monthly", "monthly_charges"]
TARGET = "churned"
OUTPUT = "churn_probability"


def features(instance):
    """One instance (a dict of the schema's inputs) as the model's feature vector."""
    return [
        float(instance["tenure"]),
        1.0 if instance["contract"] == "monthly" else 0.0,
        float(instance["monthly_charges"]),
    ]


def load_rows(path):
    """The CSV at path as (feature vectors, labels)."""
    columns, rows = read_table(path)
    records = [dict(zip(columns, row)) for row in rows]
    return [features(r) for r in records], [int(r[TARGET]) for r in records]


class Model:
    def __init__(self):
        self.pipeline = None

    def describe(self):
        return {"model": NAME, "algorithm": ALGORITHM, "features": FEATURES, "target": TARGET}

    def train(self, data, artifacts, seed):
        x, y = load_rows(data)
{%- if cookiecutter.algorithm == "random_forest" %}
        # Shallow trees with large leaves: the data is small and noisy.
        classifier = RandomForestClassifier(n_estimators=200, max_depth=5, min_samples_leaf=10, random_state=seed)
        self.pipeline = (None, classifier.fit(x, y))
{%- else %}
        scaler = StandardScaler().fit(x)
        classifier = LogisticRegression(random_state=seed).fit(scaler.transform(x), y)
        self.pipeline = (scaler, classifier)
{%- endif %}
        with open(os.path.join(artifacts, "model.pkl"), "wb") as handle:
            pickle.dump(self.pipeline, handle)
        return self._metrics(x, y)

    def load(self, artifacts):
        with open(os.path.join(artifacts, "model.pkl"), "rb") as handle:
            self.pipeline = pickle.load(handle)

    def evaluate(self, data):
        return self._metrics(*load_rows(data))

    def predict(self, instances):
        probabilities = self._probabilities([features(i) for i in instances])
        return [{OUTPUT: p} for p in probabilities]

    def _probabilities(self, x):
        if self.pipeline is None:
            raise RuntimeError("the model is neither trained nor loaded")
        if not x:
            return []
        scaler, classifier = self.pipeline
        if scaler is not None:
            x = scaler.transform(x)
        return [float(p) for p in classifier.predict_proba(x)[:, 1]]

    def _metrics(self, x, y):
        scores = self._probabilities(x)
        labels = [int(p >= 0.5) for p in scores]
        return {
            "auc": roc_auc(y, scores), "log_loss": log_loss(y, scores), "accuracy": accuracy(y, labels),
            "precision": precision(y, labels), "recall": recall(y, labels), "f1": f1(y, labels),
        }
