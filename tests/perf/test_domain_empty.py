"""`Domain.is_empty` against a kept empty-domain dictionary answers as Rasa's, which builds an empty domain each time."""
from __future__ import annotations

import pytest
from rasa.shared.core.domain import Domain

from base.settings import PROJECT_ROOT
from bot.perf import domain_empty


@pytest.fixture(scope="module", autouse=True)
def installed():
    domain_empty.install()
    yield
    Domain.is_empty = domain_empty._rasa_is_empty


DOMAINS = {
    "empty": lambda: Domain.empty(),
    "from {}": lambda: Domain.from_dict({}),
    "one intent": lambda: Domain.from_dict({"intents": ["greet"]}),
    "one response": lambda: Domain.from_dict({"responses": {"utter_hi": [{"text": "Chào bạn"}]}}),
    "session config only": lambda: Domain.from_dict({"session_config": {"session_expiration_time": 5}}),
    "ours": lambda: Domain.load(str(PROJECT_ROOT / "domain.yml")),
}


@pytest.mark.parametrize("name", DOMAINS)
def test_same_answer_as_rasa(name):
    domain = DOMAINS[name]()
    assert domain.is_empty() == domain_empty._rasa_is_empty(domain)
    assert domain.is_empty() is (name in ("empty", "from {}"))


def test_kept_dictionary_is_a_private_copy():
    kept = domain_empty.empty_domain_dict()
    empty = Domain.empty()
    empty.as_dict()["intents"] = ["changed after the copy was made"]
    assert domain_empty.empty_domain_dict() is kept and kept != empty.as_dict()
    assert Domain.empty().is_empty()
