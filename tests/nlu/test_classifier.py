"""The classifier's fast prediction path gives scikit-learn's and Rasa's numbers; each selectable model works."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, INTENT, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from bot.nlu.classifier import (
    MODELS, LeanTfidf, MarginSoftmaxClassifier, TfidfLinearClassifier, build_estimator, stack_rows,
)

RNG = np.random.default_rng(7)


def _counts(rows: int, columns: int) -> sparse.csr_matrix:
    dense = RNG.poisson(0.05, size=(rows, columns)).astype(float)
    dense[0] = 0  # an empty message
    return sparse.csr_matrix(dense)


@pytest.mark.parametrize("sublinear,use_idf,norm", [(True, True, "l2"), (False, True, "l2"), (True, False, None)])
def test_lean_tfidf_equals_scikit_learn(sublinear, use_idf, norm):
    fitted = TfidfTransformer(sublinear_tf=sublinear, use_idf=use_idf, norm=norm).fit(_counts(200, 300))
    sample = _counts(7, 300)
    before = sample.toarray()
    expected = fitted.transform(sample.copy()).toarray()
    assert np.allclose(LeanTfidf(fitted).transform(sample).toarray(), expected, rtol=1e-12, atol=1e-15)
    assert sample.nnz and np.array_equal(sample.toarray(), before)  # the message's features are left unchanged


def _message(seed: int) -> Message:
    rng = np.random.default_rng(seed)
    message = Message(data={TEXT: "lam khai sinh can gi"})
    for origin, width in (("RegexFeaturizer", 4), ("CountVectorsFeaturizer", 30), ("CountVectorsFeaturizer2", 50)):
        tokens = sparse.random(5, width, density=0.2, random_state=seed, format="coo")
        message.add_features(Features(tokens, FEATURE_TYPE_SEQUENCE, TEXT, origin))
        message.add_features(Features(sparse.coo_matrix(tokens.sum(axis=0)), FEATURE_TYPE_SENTENCE, TEXT, origin))
    message.add_features(Features(rng.random((1, 3)), FEATURE_TYPE_SENTENCE, TEXT, "Dense"))
    return message


def test_feature_matrix_is_rasas():
    messages = [_message(seed) for seed in range(4)]
    component = TfidfLinearClassifier.__new__(TfidfLinearClassifier)
    ours = component._create_X(messages)
    rasa = LogisticRegressionClassifier._create_X(component, messages)
    assert ours.shape == rasa.shape == (4, 4 + 30 + 50 + 3)
    assert np.array_equal(ours.toarray(), rasa.toarray())


def _scipy_stack(rows, empty_width):
    """What `_create_X` did before `stack_rows`: one `hstack` per message, then `vstack`."""
    return sparse.vstack([sparse.hstack(parts, format="csr") if parts else sparse.csr_matrix((1, empty_width))
                          for parts in rows], format="csr")


def _same_csr(ours, expected):
    assert ours.format == expected.format == "csr" and ours.shape == expected.shape and ours.dtype == expected.dtype
    for name in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(ours, name), getattr(expected, name)), name
        assert getattr(ours, name).dtype == getattr(expected, name).dtype, name


def _row(seed, widths=(4, 30, 50), kinds=("coo", "coo", "coo"), dtype=float):
    return [sparse.random(1, w, density=0.3, random_state=seed + i, format=kind, dtype=dtype)
            for i, (w, kind) in enumerate(zip(widths, kinds))]


@pytest.mark.parametrize("rows", [
    [_row(1)],
    [_row(s) for s in range(6)],
    [_row(1), [], _row(2)],  # a blank message among others
    [[], []],
    [_row(3, kinds=("coo", "csr", "coo"))],
    [_row(4, dtype=np.int64), _row(5, dtype=np.int64)],
    [[sparse.coo_matrix((1, 4)), sparse.coo_matrix(np.array([[0, 2, 0, 1]], dtype=np.int64))]],
], ids=["one", "six", "with blank", "all blank", "mixed formats", "integers", "empty parts"])
def test_stacked_rows_are_scipys(rows):
    _same_csr(stack_rows(rows, 84), _scipy_stack(rows, 84))


def test_rows_of_different_widths_fail_as_before():
    rows = [_row(1), _row(2, widths=(4, 30, 49))]
    with pytest.raises(ValueError):
        _scipy_stack(rows, 84)
    with pytest.raises(ValueError):
        stack_rows(rows, 84)


def test_column_major_weights_predict_the_same():
    X = _counts(300, 120)
    y = RNG.integers(0, 5, size=300)
    model = LogisticRegression(max_iter=500).fit(X, y)
    expected = model.predict_proba(X)
    model.coef_ = np.asfortranarray(model.coef_)
    assert model.coef_.T.flags["C_CONTIGUOUS"]
    assert np.allclose(model.predict_proba(X), expected, rtol=1e-12)


# ---------------------------------------------------------------------------------------------------------------
# The selectable linear models (config `model`)

def _separable(rows: int = 240, columns: int = 60, classes: int = 4):
    """Count-like features where each class prefers its own block of columns, plus noise."""
    y = RNG.integers(0, classes, size=rows)
    dense = RNG.poisson(0.1, size=(rows, columns)).astype(float)
    block = columns // classes
    for row, label in enumerate(y):
        dense[row, label * block:(label + 1) * block] += RNG.poisson(0.6, size=block)
    return sparse.csr_matrix(dense), np.array([f"intent_{k}" for k in y])


def _config(model: str, **overrides) -> dict:
    config = {**TfidfLinearClassifier.get_default_config(), "model": model}
    config["C"] = 1.0 if model == "linearsvc" else config["C"]
    return {**config, **overrides}


@pytest.mark.parametrize("model", MODELS)
def test_each_model_fits_predicts_and_gives_confidences_that_rank_like_its_scores(model):
    X, y = _separable()
    estimator = build_estimator(_config(model)).fit(X[:180], y[:180])
    predicted = estimator.predict(X[180:])
    assert np.mean(predicted == y[180:]) > 0.8
    probabilities = estimator.predict_proba(X[180:])
    scores = estimator.decision_function(X[180:])
    assert probabilities.shape == scores.shape == (60, 4)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert np.all(probabilities >= 0)
    assert np.array_equal(np.argsort(-probabilities, axis=1, kind="stable"), np.argsort(-scores, axis=1, kind="stable"))
    assert np.array_equal(estimator.classes_[probabilities.argmax(axis=1)], predicted)


@pytest.mark.parametrize("model", ["linearsvc", "sgd"])
def test_margin_models_get_a_fitted_temperature(model):
    X, y = _separable()
    estimator = build_estimator(_config(model)).fit(X, y)
    assert isinstance(estimator, MarginSoftmaxClassifier)
    assert 0 < estimator.temperature_ and estimator.temperature_ != 1.0
    # the confidences are the softmax of the scores at that temperature
    scores = estimator.decision_function(X[:5]) / estimator.temperature_
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    assert np.allclose(estimator.predict_proba(X[:5]), expected)


def test_margin_model_with_a_class_missing_from_a_calibration_fold():
    X, y = _separable(rows=60)
    y[:2] = "rare"  # two examples: present in only some of the three calibration folds' training parts
    estimator = build_estimator(_config("linearsvc")).fit(X, y)
    assert "rare" in estimator.classes_
    assert np.allclose(estimator.predict_proba(X).sum(axis=1), 1.0)


def test_unknown_model_is_refused():
    with pytest.raises(ValueError, match="linearsvc"):
        build_estimator({**_config("logreg"), "model": "forest"})


def _intent_messages(X: sparse.csr_matrix, y: np.ndarray) -> list:
    messages = []
    for row, label in zip(X, y):
        message = Message(data={TEXT: "x", INTENT: label})
        message.add_features(Features(sparse.coo_matrix(row), FEATURE_TYPE_SENTENCE, TEXT, "CountVectorsFeaturizer"))
        messages.append(message)
    return messages


@pytest.mark.parametrize("model", MODELS)
def test_component_trains_persists_loads_and_classifies(model, tmp_path):
    from rasa.engine.graph import ExecutionContext, GraphSchema
    from rasa.engine.storage.local_model_storage import LocalModelStorage
    from rasa.engine.storage.resource import Resource
    from rasa.shared.nlu.training_data.training_data import TrainingData

    X, y = _separable()
    storage, resource = LocalModelStorage(tmp_path), Resource("classifier")
    context = ExecutionContext(GraphSchema({}), node_name="classifier")
    config = _config(model)
    trained = TfidfLinearClassifier.create(config, storage, resource, context)
    trained.train(TrainingData(training_examples=_intent_messages(X[:180], y[:180])))
    loaded = TfidfLinearClassifier.load(config, storage, resource, context)  # refuses any untrusted type

    test = _intent_messages(X[180:], y[180:])
    expected = trained.clf.predict_proba(trained._create_X(test))
    loaded.process(test)
    for message, row in zip(test, expected):
        ranking = message.get("intent_ranking")
        assert message.get("intent")["name"] == trained.clf.classes_[row.argmax()]
        assert np.isclose(ranking[0]["confidence"], row.max())
        assert [r["confidence"] for r in ranking] == sorted((r["confidence"] for r in ranking), reverse=True)
    assert np.mean([m.get("intent")["name"] == label for m, label in zip(test, y[180:])]) > 0.8
