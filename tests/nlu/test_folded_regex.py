"""FoldedRegexFeaturizer: a question typed without diacritics gets the regex and lookup features of the same
question typed with them (Rasa's RegexFeaturizer matched the accented lookup names on accented text only)."""
from __future__ import annotations

import re
import unicodedata
from unittest.mock import MagicMock

import pytest
from rasa.nlu.featurizers.sparse_featurizer.regex_featurizer import RegexFeaturizer
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.folded_regex import FoldedRegexFeaturizer, stripped_with_origins
from bot.nlu.tokenizer import VietnameseTokenizer

# the shape Rasa gives a lookup table (rasa.nlu.utils.pattern_utils): escaped names between word boundaries
NAMES = ["đăng ký khai tử", "sổ đỏ", "giấy chứng nhận quyền sử dụng đất"]
PATTERNS = [
    {"name": "procedure", "pattern": "(\\b" + "\\b|\\b".join(re.escape(n) for n in NAMES) + "\\b)"},
    {"name": "feedback_value", "pattern": "(?<!\\w)(?:tệ|tốt)(?!\\w)"},
]


def _featurizer(cls, **config):
    context = MagicMock(node_name="regex", is_finetuning=False)
    return cls({**cls.get_default_config(), **config}, MagicMock(), MagicMock(), context, known_patterns=PATTERNS)


@pytest.fixture(scope="module")
def tokenizer() -> VietnameseTokenizer:
    return VietnameseTokenizer(VietnameseTokenizer.get_default_config())


def _sentence(featurizer, tokenizer, text: str) -> list[float]:
    message = Message.build(text=text)
    message.set("text_tokens", tokenizer.tokenize(message, "text"))
    _, sentence = featurizer._features_for_patterns(message, "text")
    return sentence.toarray()[0].tolist()


@pytest.mark.parametrize("accented, plain", [
    ("bố mất hôm qua, đăng ký khai tử ở đâu", "bo mat hom qua, dang ky khai tu o dau"),
    ("Mua mảnh đất có SỔ ĐỎ rồi, sang tên cần gì", "mua manh dat co SO DO roi, sang ten can gi"),
    ("hỏi chuyện khác thôi", "hoi chuyen khac thoi"),
])
def test_plain_and_accented_questions_get_the_same_features(tokenizer, accented, plain):
    folded = _featurizer(FoldedRegexFeaturizer, skip_patterns=["feedback_value"])
    nfd = unicodedata.normalize("NFD", accented)
    assert _sentence(folded, tokenizer, accented) == _sentence(folded, tokenizer, plain) == \
        _sentence(folded, tokenizer, nfd)


def test_rasas_featurizer_gave_the_lookup_feature_to_accented_text_only(tokenizer):
    """The failure this component removes, shown on Rasa's own featurizer."""
    rasa = _featurizer(RegexFeaturizer, case_sensitive=False)
    assert _sentence(rasa, tokenizer, "đăng ký khai tử ở đâu")[0] == 1.0
    assert _sentence(rasa, tokenizer, "dang ky khai tu o dau")[0] == 0.0


def test_a_diacritics_sensitive_pattern_can_be_left_out(tokenizer):
    folded = _featurizer(FoldedRegexFeaturizer, skip_patterns=["feedback_value"])
    assert _sentence(folded, tokenizer, "thẻ bảo hiểm y tế cấp ở đâu")[1] == 0.0
    assert _sentence(folded, tokenizer, "trả lời tệ quá")[1] == 0.0  # skipped: the entity extractor has it
    kept = _featurizer(FoldedRegexFeaturizer)
    assert _sentence(kept, tokenizer, "trả lời tệ quá")[1] == 1.0


def test_offsets_map_back_to_the_original_text_even_for_nfd():
    nfd = unicodedata.normalize("NFD", "sổ đỏ")
    stripped, origins = stripped_with_origins(nfd)
    assert stripped == "so do"
    assert nfd[origins[0]] == "s" and nfd[origins[-1]] == "o"
    assert len(origins) == len(stripped)
