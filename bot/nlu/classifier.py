"""Intent classifier: Rasa's logistic regression with TF-IDF weighting and a configurable regularisation.

Short chat messages share many function words ("cho", "hỏi", "ạ"); sublinear TF-IDF lowers their weight and a weaker
regularisation lets the rarer, decisive n-grams count. Measured on the held-out set in docs/benchmarks.md.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy import sparse
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

logger = logging.getLogger(__name__)

# The only types our persisted pipeline contains; nothing else is trusted when loading.
_TRUSTED_TYPES = [
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "scipy.sparse._csr.csr_matrix",  # TfidfTransformer keeps its idf weights as a sparse diagonal
]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLogisticRegressionClassifier(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "C": 300.0,
            "max_iter": 2000,
            "tfidf": True,
            "class_weight": None,  # "balanced" or None; chosen by cross-validation (docs/benchmarks.md)
        }

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        regression = LogisticRegression(
            C=float(self.config["C"]),
            solver=self.config["solver"],
            max_iter=self.config["max_iter"],
            class_weight=self.config["class_weight"],
            tol=self.config["tol"],
            random_state=self.config["random_state"],
        )
        steps = [("tfidf", TfidfTransformer(sublinear_tf=True))] if self.config["tfidf"] else []
        self.clf = Pipeline(steps + [("regression", regression)])

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfLogisticRegressionClassifier":
        import skops.io as sio

        component = cls(config, execution_context.node_name, model_storage, resource)
        # A model that cannot classify must not start: fail here with the reason rather than on the first message.
        with model_storage.read_from(resource) as model_dir:
            path = model_dir / f"{resource.name}.skops"
            untrusted = [t for t in sio.get_untrusted_types(file=path) if t not in _TRUSTED_TYPES]
            if untrusted:
                raise ValueError(f"refusing to load {path.name}: unexpected types {untrusted}")
            component.clf = sio.load(path, trusted=_TRUSTED_TYPES)
        component._store_weights_for_prediction()
        component._use_lean_tfidf()
        return component

    def _create_X(self, messages: List[Message]) -> sparse.csr_matrix:
        """The sentence features of each message, in the column order of Rasa's `_create_X`.

        Rasa's version goes through `Message.get_sparse_features`, which also deep-copies and concatenates every
        token's sequence features — which this classifier never reads — for every message. A message without
        features (blank text) gets an all-zero row here and no intent in `process`, where Rasa's raised an error
        for the whole request.
        """
        width = getattr(self.clf.steps[-1][1], "n_features_in_", 0) if hasattr(self, "clf") else 0
        rows = []
        for message in messages:
            sentence = _sentence_features(message)
            parts = [f.features for f in sentence if f.is_sparse()]
            dense = [f.features for f in sentence if f.is_dense()]
            if dense:
                parts.append(sparse.csr_matrix(np.concatenate(dense, axis=-1)))
            rows.append(sparse.hstack(parts, format="csr") if parts else sparse.csr_matrix((1, width)))
        return sparse.vstack(rows, format="csr")

    def process(self, messages: List[Message]) -> List[Message]:
        """Rasa's prediction; a message without features gets no intent (confidence 0: the fallback answers)."""
        messages = super().process(messages)
        for message in messages:
            if not _sentence_features(message):
                message.set("intent", {"name": None, "confidence": 0.0}, add_to_output=True)
                message.set("intent_ranking", [], add_to_output=True)
        return messages

    def _use_lean_tfidf(self) -> None:
        if self.clf.steps and isinstance(self.clf.steps[0][1], TfidfTransformer):
            name, fitted = self.clf.steps[0]
            self.clf.steps[0] = (name, LeanTfidf(fitted))

    def _store_weights_for_prediction(self) -> None:
        """Keep the weights column-major, so that scikit-learn's `X @ coef_.T` reads them in place.

        Row-major weights make SciPy copy the whole (features × intents) matrix for every message it classifies
        (about a millisecond per message with our vocabulary); the values and the predictions are unchanged.
        """
        regression = self.clf.steps[-1][1]
        if hasattr(regression, "coef_"):
            regression.coef_ = np.asfortranarray(regression.coef_)


def _sentence_features(message: Message) -> List[Any]:
    """The message's sentence-level text features, one per featurizer, in the order the featurizers ran."""
    return [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]


class LeanTfidf:
    """`TfidfTransformer.transform` of a fitted transformer, for the few rows of one message.

    scikit-learn validates its input and multiplies by a sparse diagonal matrix on every call, which cost more than
    the logistic regression itself; this scales the stored values in place. Same values (tests/nlu/test_classifier.py).
    """

    def __init__(self, fitted: TfidfTransformer) -> None:
        if fitted.norm not in ("l2", None):
            raise ValueError(f"unsupported norm {fitted.norm!r}")
        self.fitted = fitted
        self._idf = np.asarray(fitted.idf_, dtype=np.float64) if fitted.use_idf else None

    def transform(self, X: Any) -> sparse.csr_matrix:
        X = sparse.csr_matrix(X, dtype=np.float64, copy=True)
        X.sum_duplicates()
        if self.fitted.sublinear_tf:
            np.log(X.data, out=X.data)
            X.data += 1
        if self._idf is not None:
            X.data *= self._idf[X.indices]
        if self.fitted.norm == "l2":
            inplace_csr_row_normalize_l2(X)
        return X
