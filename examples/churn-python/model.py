"""A churn model: logistic regression on tenure, contract and monthly charges (scikit-learn)."""
import os
import pickle

from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from mf_runner import accuracy, f1, log_loss, precision, read_table, recall, roc_auc

FEATURES = ["tenure", "monthly", "monthly_charges"]


def features(instance):
    return [float(instance["tenure"]), 1.0 if instance["contract"] == "monthly" else 0.0, float(instance["monthly_charges"])]


def load_rows(path):
    columns, rows = read_table(path)
    records = [dict(zip(columns, row)) for row in rows]
    return [features(r) for r in records], [int(r["churned"]) for r in records]


class Model:
    def __init__(self):
        self.scaler = None
        self.classifier = None

    def describe(self):
        return {"model": "churn", "algorithm": "logistic regression", "features": FEATURES}

    def train(self, data, artifacts, seed):
        x, y = load_rows(data)
        self.scaler = StandardScaler().fit(x)
        self.classifier = LogisticRegression(random_state=seed).fit(self.scaler.transform(x), y)
        with open(os.path.join(artifacts, "model.pkl"), "wb") as handle:
            pickle.dump((self.scaler, self.classifier), handle)
        return self._metrics(x, y)

    def load(self, artifacts):
        with open(os.path.join(artifacts, "model.pkl"), "rb") as handle:
            self.scaler, self.classifier = pickle.load(handle)

    def evaluate(self, data):
        return self._metrics(*load_rows(data))

    def predict(self, instances):
        probabilities = self._probabilities([features(i) for i in instances])
        return [{"churn_probability": p} for p in probabilities]

    def _probabilities(self, x):
        return [float(p) for p in self.classifier.predict_proba(self.scaler.transform(x))[:, 1]]

    def _metrics(self, x, y):
        scores = self._probabilities(x)
        labels = [int(p >= 0.5) for p in scores]
        return {
            "auc": roc_auc(y, scores), "log_loss": log_loss(y, scores), "accuracy": accuracy(y, labels),
            "precision": precision(y, labels), "recall": recall(y, labels), "f1": f1(y, labels),
        }
