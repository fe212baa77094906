"""Intent classifier: a linear model over sublinear TF-IDF of the pipeline's count features, chosen by config.

Short chat messages share many function words ("cho", "hỏi", "ạ"); sublinear TF-IDF lowers their weight so that the
rarer, decisive n-grams count. The linear model is `model: logreg | linearsvc | sgd`, compared by cross-validation in
bench/bench_classifier_cv.py (docs/benchmarks.md, "Classifier comparison"). The margin models (LinearSVC, SGD) have
no probabilities of their own, but the FallbackClassifier reads confidences: they get a softmax of their decision
scores with one temperature fitted on out-of-fold scores (`MarginSoftmaxClassifier`), which keeps their ranking.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy import sparse
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC
from sklearn.utils.sparsefuncs_fast import inplace_csr_row_normalize_l2

logger = logging.getLogger(__name__)

MODELS = ("logreg", "linearsvc", "sgd")

# The only types our persisted pipeline contains; nothing else is trusted when loading.
_TRUSTED_TYPES = [
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "bot.nlu.classifier.MarginSoftmaxClassifier",
    "scipy.sparse._csr.csr_matrix",  # TfidfTransformer keeps its idf weights as a sparse diagonal
]


def build_estimator(config: Dict[Text, Any]) -> Any:
    """The scikit-learn classifier `config["model"]` names, with `predict_proba` and `decision_function`.

    Shared by the component and bench/bench_classifier_cv.py, so the comparison measures what is deployed.
    """
    model = config.get("model", "logreg")
    if model == "logreg":
        return LogisticRegression(
            C=float(config["C"]),
            solver=config.get("solver", "lbfgs"),
            max_iter=config["max_iter"],
            class_weight=config["class_weight"],
            tol=config["tol"],
            random_state=config["random_state"],
        )
    if model == "linearsvc":
        margin: Any = LinearSVC(
            C=float(config["C"]),
            max_iter=config["max_iter"],
            class_weight=config["class_weight"],
            tol=config["tol"],
            random_state=config["random_state"],
        )
    elif model == "sgd":
        margin = SGDClassifier(
            loss=config.get("loss", "hinge"),
            alpha=float(config["alpha"]),
            max_iter=config["max_iter"],
            class_weight=config["class_weight"],
            tol=config["tol"],
            random_state=config["random_state"],
        )
    else:
        raise ValueError(f"unknown classifier model {model!r}: choose one of {', '.join(MODELS)}")
    return MarginSoftmaxClassifier(margin, folds=config.get("calibration_folds", 3),
                                   random_state=config["random_state"])


def build_pipeline(config: Dict[Text, Any]) -> Pipeline:
    """Sublinear TF-IDF (unless `tfidf: false`) and the linear model: what the component fits on the count features."""
    steps = [("tfidf", TfidfTransformer(sublinear_tf=True))] if config["tfidf"] else []
    return Pipeline(steps + [("classifier", build_estimator(config))])


class MarginSoftmaxClassifier(ClassifierMixin, BaseEstimator):
    """A margin classifier whose confidences are `softmax(decision scores / temperature)`.

    The temperature is the one that minimises the log-loss of out-of-fold decision scores (`folds`-fold, stratified),
    so a confidence of 0.3 means about what it means for the logistic regression. Unlike scikit-learn's
    `CalibratedClassifierCV` (one sigmoid per class, then normalised), one temperature for all classes keeps the
    ranking of the decision scores, and the fitted model is a single estimator, as fast to apply as the uncalibrated
    one.
    """

    def __init__(self, estimator: Any = None, folds: int = 3, random_state: Optional[int] = 42) -> None:
        self.estimator = estimator
        self.folds = folds
        self.random_state = random_state

    def fit(self, X: Any, y: Any) -> "MarginSoftmaxClassifier":
        y = np.asarray(y)
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError("at least two intents are needed to train a classifier")
        self.estimator_ = clone(self.estimator).fit(X, y)
        self.n_features_in_ = self.estimator_.n_features_in_
        scores = self._out_of_fold_scores(X, y)
        target = np.searchsorted(self.classes_, y)
        self.temperature_ = _fit_temperature(scores, target) if scores is not None else 1.0
        return self

    def _out_of_fold_scores(self, X: Any, y: np.ndarray) -> Optional[np.ndarray]:
        smallest = np.unique(y, return_counts=True)[1].min()
        folds = min(self.folds, smallest)
        if folds < 2:
            return None  # an intent with a single example: no out-of-fold score for it, keep temperature 1
        scores = np.empty((len(y), len(self.classes_)))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(np.zeros(len(y)), y):
            fold = clone(self.estimator).fit(X[train], y[train])
            scores[test] = _scores_by_class(fold, X[test], self.classes_)
        return scores

    def decision_function(self, X: Any) -> np.ndarray:
        return _scores_by_class(self.estimator_, X, self.classes_)

    def predict_proba(self, X: Any) -> np.ndarray:
        return np.exp(log_softmax(self.decision_function(X) / self.temperature_, axis=1))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[np.argmax(self.decision_function(X), axis=1)]

    @property
    def coef_(self) -> np.ndarray:  # where `_store_weights_for_prediction` finds the weights
        return self.estimator_.coef_

    @coef_.setter
    def coef_(self, value: np.ndarray) -> None:
        self.estimator_.coef_ = value


def _scores_by_class(estimator: Any, X: Any, classes: np.ndarray) -> np.ndarray:
    """Decision scores in the columns of `classes`; a class the estimator never saw gets the row's lowest score."""
    raw = estimator.decision_function(X)
    if raw.ndim == 1:  # two classes: scikit-learn returns the score of the second one
        raw = np.column_stack([-raw, raw])
    if len(estimator.classes_) == len(classes):
        return raw
    scores = np.repeat(raw.min(axis=1, keepdims=True), len(classes), axis=1)
    scores[:, np.searchsorted(classes, estimator.classes_)] = raw
    return scores


def _fit_temperature(scores: np.ndarray, target: np.ndarray) -> float:
    """The temperature minimising the mean log-loss of `softmax(scores / T)`; searched on log T."""
    rows = np.arange(len(target))

    def loss(log_t: float) -> float:
        return -float(log_softmax(scores / np.exp(log_t), axis=1)[rows, target].mean())

    return float(np.exp(minimize_scalar(loss, bounds=(-7.0, 5.0), method="bounded").x))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfLinearClassifier(LogisticRegressionClassifier):
    """Rasa's logistic-regression component with TF-IDF weighting and the linear model of `build_estimator`."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            **LogisticRegressionClassifier.get_default_config(),
            "model": "logreg",  # logreg | linearsvc | sgd: chosen by cross-validation (docs/benchmarks.md)
            "C": 300.0,  # inverse regularisation of logreg and linearsvc
            "alpha": 1e-4,  # regularisation of sgd
            "loss": "hinge",  # loss of sgd
            "calibration_folds": 3,  # out-of-fold scores for the temperature of linearsvc and sgd
            "max_iter": 2000,
            "tfidf": True,
            "class_weight": None,  # "balanced" or None; chosen by cross-validation (docs/benchmarks.md)
        }

    def __init__(self, config: Dict[Text, Any], name: Text, model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf = build_pipeline(self.config)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "TfidfLinearClassifier":
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
            rows.append(parts)
        return stack_rows(rows, width)

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
        model = self.clf.steps[-1][1]
        if hasattr(model, "coef_"):
            model.coef_ = np.asfortranarray(model.coef_)


def stack_rows(rows: List[List[Any]], empty_width: int) -> sparse.csr_matrix:
    """`vstack([hstack(parts, format="csr") or an all-zero row of empty_width], format="csr")`, in one step.

    SciPy's `hstack` of COO blocks goes through `bmat` (shape checks, index dtypes, a COO matrix per message) and
    cost more than the linear model; this concatenates the same entries into one COO matrix and converts it once,
    which gives the same canonical CSR matrix: same values, dtype, sorted indices (tests/nlu/test_classifier.py).
    Rows of different widths go to SciPy, which reports the mismatch as before.
    """
    widths = {sum(p.shape[1] for p in parts) if parts else empty_width for parts in rows}
    if len(widths) != 1 or any(p.shape[0] != 1 for parts in rows for p in parts):
        return sparse.vstack([sparse.hstack(parts, format="csr") if parts else sparse.csr_matrix((1, empty_width))
                              for parts in rows], format="csr")
    dtypes = [p.dtype for parts in rows for p in parts] + ([np.float64] if not all(rows) else [])
    data, row_index, column_index = [], [], []
    for row, parts in enumerate(rows):
        offset = 0
        for part in parts:
            coo = part if sparse.isspmatrix_coo(part) else part.tocoo()
            data.append(coo.data)
            row_index.append(np.full(coo.nnz, row, dtype=np.int64))
            column_index.append(coo.col.astype(np.int64) + offset)
            offset += part.shape[1]
    dtype = np.result_type(*dtypes) if dtypes else np.float64
    if not data:
        return sparse.csr_matrix((len(rows), widths.pop()), dtype=dtype)
    stacked = sparse.coo_matrix(
        (np.concatenate(data).astype(dtype, copy=False), (np.concatenate(row_index), np.concatenate(column_index))),
        shape=(len(rows), widths.pop()),
    )
    return stacked.tocsr()


def _sentence_features(message: Message) -> List[Any]:
    """The message's sentence-level text features, one per featurizer, in the order the featurizers ran."""
    return [f for f in message.features if f.attribute == TEXT and f.type == FEATURE_TYPE_SENTENCE]


class LeanTfidf:
    """`TfidfTransformer.transform` of a fitted transformer, for the few rows of one message.

    scikit-learn validates its input and multiplies by a sparse diagonal matrix on every call, which cost more than
    the linear model itself; this scales the stored values in place. Same values (tests/nlu/test_classifier.py).
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
