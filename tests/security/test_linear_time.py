"""Every regular expression and text function that sees a citizen's text runs in linear time.

A hostile client sends whatever string makes a backtracking regex slowest. The test first searches for that string:
for each pattern it times a 2 KB repetition of every short unit over the characters the patterns care about (with a
few prefixes that open a match, such as "http://" or "H15.50-"), keeps the slowest units, then times the slowest at
8 KB, 32 KB, 128 KB and 1 MB, stopping at the first step that grows too fast. Linear time grows by the size factor (8× from
128 KB to 1 MB), quadratic time by its square (64×). The bound (3× the size factor) is generous for a loaded machine,
and the 1 MB run must also finish within seconds.
"""
from __future__ import annotations

import itertools
import re
import time
from typing import Callable

import pytest

from base.privacy import mask_text, scrub_reply
from base.settings import PROJECT_ROOT, get_settings

ALPHABET = "a1 .-@:/_"
PREFIXES = ("", "http://", "www.", "H15.50-", "a@b", "không ", "1.")
SCREEN_CHARS = 2_000
LARGE_CHARS = 1_000_000
SIZES = (8_000, 32_000, 128_000, LARGE_CHARS)
MAX_GROWTH = 24.0  # allowed growth for 8× the input (linear: 8×, quadratic: 64×); scaled for other steps
MAX_LARGE_SECONDS = 40.0  # CPU seconds for 1 MB: Rasa's lookup-table regex (one alternative per alias) needs ~17
CAP_SECONDS = 0.15  # CPU seconds for one message at the channels' cap (THUTUC_MAX_MESSAGE_CHARS)
WORST_UNITS_CHECKED = 3
RETRIES_OF_A_STEEP_STEP = 2


def _units() -> list[str]:
    short = ["".join(p) for n in (1, 2) for p in itertools.product(ALPHABET, repeat=n)]
    triples = ["".join(p) for p in itertools.product(ALPHABET, repeat=3)]
    extra = ["1 1", "11-", "a.a", "a.1", "H15.", "\u0301", "đ", "www.", "1 -", "khong ", "không  ", "👍",
             "H15.50-251203-2035 ", "H15.50-251303-2035 ", "H15.50 - 251203 - 2035, ", "0912345678 ", "a@b.vn "]
    prefixed = [prefix + unit for prefix in PREFIXES if prefix for unit in short]
    return sorted(set(short + triples + extra + prefixed))


def _adversarial(unit: str, size: int) -> str:
    """The unit repeated to `size` characters, ending in a character that makes most matches fail at the very end."""
    return (unit * (size // len(unit) + 1))[:size] + "!"


def _seconds(function: Callable[[str], object], text: str, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()  # CPU time: other processes on a loaded machine do not count
        function(text)
        best = min(best, time.process_time() - started)
    return best


def _finditer(pattern: re.Pattern) -> Callable[[str], object]:
    return lambda text: sum(1 for _ in pattern.finditer(text))


def _nlu_patterns() -> dict[str, Callable[[str], object]]:
    """The regexes Rasa runs on each message (RegexFeaturizer, RegexEntityExtractor), built the way Rasa builds them."""
    from rasa.nlu.utils.pattern_utils import extract_patterns
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(PROJECT_ROOT / "data" / "nlu"))
    patterns = extract_patterns(data, use_lookup_tables=True, use_regexes=True, use_word_boundaries=True)
    assert any(p["name"] == "receipt_code" for p in patterns), "the NLU regexes were not found"
    return {f"nlu:{p['name']}": _finditer(re.compile(p["pattern"], re.IGNORECASE)) for p in patterns}


def _entry_points() -> dict[str, Callable[[str], object]]:
    from actions.handoff import normalise_contact
    from bot.nlu import tokenizer
    from dossiers.codes import find_receipt_codes
    from knowledge.text import fold, search_tokens

    points: dict[str, Callable[[str], object]] = {
        "mask_text": mask_text,
        "scrub_reply": scrub_reply,
        "find_receipt_codes": find_receipt_codes,
        "tokenizer protected spans": lambda text: list(tokenizer._segments(text)),
        "fold": fold,
        "search_tokens": search_tokens,
        "normalise_contact": normalise_contact,
    }
    points.update(_nlu_patterns())
    return points


ENTRY_POINTS = _entry_points()


def _worst_units(function: Callable[[str], object]) -> list[str]:
    timed = [(_seconds(function, _adversarial(unit, SCREEN_CHARS), repeats=1), unit) for unit in _units()]
    timed.sort(reverse=True)
    return [unit for _, unit in timed[:WORST_UNITS_CHECKED]]


def _assert_linear(name: str, function: Callable[[str], object], unit: str,
                   sizes: tuple[int, ...] = SIZES) -> None:
    """Time growing inputs (8 KB … 1 MB) in turn, stopping at the first step that grows faster than linear could."""
    previous_size, previous = sizes[0], _seconds(function, _adversarial(unit, sizes[0]))
    for size in sizes[1:]:
        elapsed = _seconds(function, _adversarial(unit, size), repeats=1 if size >= LARGE_CHARS else 3)
        factor = size / previous_size
        for _ in range(RETRIES_OF_A_STEEP_STEP):
            if elapsed / max(previous, 1e-4) < factor * MAX_GROWTH / 8:
                break
            # One slow run on a shared 2-core machine (a stolen time slice, a page-fault storm) is not a quadratic
            # pattern; a quadratic one stays steep when both sizes are timed again.
            previous = _seconds(function, _adversarial(unit, previous_size))
            elapsed = min(elapsed, _seconds(function, _adversarial(unit, size), repeats=1))
        growth = elapsed / max(previous, 1e-4)
        assert growth < factor * MAX_GROWTH / 8, (
            f"{name}: {unit!r} {previous_size // 1000} KB → {size // 1000} KB grew {growth:.0f}× (quadratic?)")
        previous_size, previous = size, elapsed
    assert previous < MAX_LARGE_SECONDS, f"{name}: {previous_size // 1000} KB of {unit!r} took {previous:.1f} s"


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_time_grows_linearly_on_the_worst_input_found(name: str) -> None:
    function = ENTRY_POINTS[name]
    cap = get_settings().max_message_chars
    for unit in _worst_units(function):
        _assert_linear(name, function, unit)
        at_cap = _seconds(function, _adversarial(unit, cap))
        assert at_cap < CAP_SECONDS, f"{name}: a {cap}-character message of {unit!r} took {at_cap * 1000:.0f} ms"


def test_the_search_finds_a_quadratic_pattern() -> None:
    """The screening must be able to fail: a textbook quadratic pattern is caught by the same check."""
    quadratic = _finditer(re.compile(r"[a-z]+://"))
    unit = _worst_units(quadratic)[0]
    with pytest.raises(AssertionError, match="quadratic"):
        _assert_linear("[a-z]+://", quadratic, unit, sizes=(1_000, 4_000, 16_000))


def test_masking_still_masks_what_it_must() -> None:
    """The linear-time rewrite keeps the privacy rules (docs/dossiers.md, "Privacy")."""
    assert mask_text("gọi 0912 345 678 nhé") == "gọi **** nhé"
    assert mask_text("mã H15.50-251203-2035") == "mã H15.50-******-**35"
    assert mask_text("số cuối 4321") == "số cuối ****"
    assert mask_text("thủ tục 1.001193") == "thủ tục 1.001193"
    assert mask_text("xem https://dichvucong.gov.vn:8443/a") == "xem https://dichvucong.gov.vn:8443/a"
    assert mask_text("email nguyen.van.a+hs@gmail.com ạ") == "email ****@**** ạ"
    assert mask_text("CCCD 001203004567") == "CCCD ****"
    spaced = " ".join("1" * 30)
    assert "1" not in mask_text(spaced), "a long spaced digit run is masked whole"
    assert scrub_reply("Hộp thư motcua@phuong.gov.vn, gọi 0912345678") == "Hộp thư motcua@phuong.gov.vn, gọi ****"

