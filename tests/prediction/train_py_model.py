#!/usr/bin/env python3
"""Trains a model with Python xgboost the way a user would, for the C++ interop test.

Usage: train_py_model.py OUT_DIR

Writes OUT_DIR/py_model.json (booster.save_model), OUT_DIR/py_model.meta.json (the Gal-Friday
sidecar, docs/models.md) and OUT_DIR/expected.json: input rows, the predictions Python's
xgboost makes for them, and the SHA-256 of the model file as hashlib computes it.
"""

import hashlib
import json
import os
import sys

import numpy as np
import xgboost as xgb

FEATURES = ["ma_spread", "return_5", "volatility_20", "rsi_14"]


def main() -> int:
    out_dir = sys.argv[1]
    rng = np.random.RandomState(7)
    x = rng.uniform(-1.0, 1.0, size=(3000, len(FEATURES)))
    noise = rng.normal(0.0, 0.3, size=3000)
    y = (x[:, 0] + 0.5 * x[:, 1] + noise > 0.0).astype(np.float64)

    params = {
        "objective": "binary:logistic",
        "eta": 0.2,
        "max_depth": 4,
        "subsample": 0.9,
        "colsample_bytree": 0.9,
        "seed": 11,
        "nthread": 1,
        "tree_method": "hist",
    }
    rounds = 40
    train = xgb.DMatrix(x, label=y, feature_names=FEATURES)
    booster = xgb.train(params, train, num_boost_round=rounds)

    model_path = os.path.join(out_dir, "py_model.json")
    booster.save_model(model_path)
    with open(model_path, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()

    meta = {
        "format_version": 1,
        "model_id": "py_interop_v1",
        "target": "prob_price_up",
        "target_description": "synthetic: ma_spread + 0.5 * return_5 + noise > 0",
        "objective": "binary:logistic",
        "feature_names": FEATURES,
        "training_window": {"start": "2024-01-01T00:00:00Z", "end": "2024-03-31T23:59:00Z"},
        "params": dict(params, rounds=rounds),
        "metrics": {},
        "model_sha256": digest,
        "xgboost_version": xgb.__version__,
    }
    with open(os.path.join(out_dir, "py_model.meta.json"), "w") as f:
        json.dump(meta, f, indent=2)

    test_x = rng.uniform(-1.5, 1.5, size=(500, len(FEATURES)))
    predictions = booster.predict(xgb.DMatrix(test_x, feature_names=FEATURES))
    expected = {
        "rows": test_x.tolist(),
        "predictions": [float(p) for p in predictions],
        "model_sha256": digest,
    }
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
