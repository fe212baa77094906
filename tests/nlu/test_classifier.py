"""The classifier's fast prediction path gives scikit-learn's and Rasa's numbers."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, FEATURE_TYPE_SEQUENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from bot.nlu.classifier import LeanTfidf, TfidfLogisticRegressionClassifier

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
    component = TfidfLogisticRegressionClassifier.__new__(TfidfLogisticRegressionClassifier)
    ours = component._create_X(messages)
    rasa = LogisticRegressionClassifier._create_X(component, messages)
    assert ours.shape == rasa.shape == (4, 4 + 30 + 50 + 3)
    assert np.array_equal(ours.toarray(), rasa.toarray())


def test_column_major_weights_predict_the_same():
    X = _counts(300, 120)
    y = RNG.integers(0, 5, size=300)
    model = LogisticRegression(max_iter=500).fit(X, y)
    expected = model.predict_proba(X)
    model.coef_ = np.asfortranarray(model.coef_)
    assert model.coef_.T.flags["C_CONTIGUOUS"]
    assert np.allclose(model.predict_proba(X), expected, rtol=1e-12)
