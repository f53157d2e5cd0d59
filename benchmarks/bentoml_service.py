"""BentoML serving a bundle's own model.py and artifacts, for benchmarks/serve.sh.

MF_BUNDLE names the bundle folder (made by mf demo); BENTO_WORKERS the worker processes (default:
one per core). No access log, as for the others. Two services over the same model, each
answering POST /predict with the body mf serve's v1 API takes, {"instances": [...]}:

  Plain    one call of model.predict per request, answering {"predictions": [...]}
  Batched  BentoML's adaptive batching: requests arriving together are joined into one call
           (up to 64 instances, as mf serve's --max-batch; BentoML's own latency
           target), answering the list of predictions
"""
import os
import sys
from typing import Any

import bentoml

BUNDLE = os.environ["MF_BUNDLE"]
sys.path.insert(0, os.path.join(BUNDLE, "plugin"))
from model import Model  # noqa: E402  (the bundle's plugin folder is on the path only now)

WORKERS = int(os.environ.get("BENTO_WORKERS", os.cpu_count() or 1))
# No line per request (as gunicorn and mf serve write none by default).
CONFIG = {"workers": WORKERS, "logging": {"access": {"enabled": False}}}


def loaded():
    model = Model()
    model.load(os.path.join(BUNDLE, "artifacts"))
    return model


@bentoml.service(**CONFIG)
class Plain:
    def __init__(self):
        self.model = loaded()

    @bentoml.api
    def predict(self, instances: list[dict[str, Any]]) -> dict[str, Any]:
        return {"predictions": self.model.predict(instances)}


@bentoml.service(**CONFIG)
class Batched:
    def __init__(self):
        self.model = loaded()

    @bentoml.api(batchable=True, max_batch_size=64)
    def predict(self, instances: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return self.model.predict(instances)
