"""bench_load.py's profile summary counts only the samples of a request being handled, not idle pool threads."""
from __future__ import annotations

from bench.bench_load import REQUEST_FRAME, summarize_profile

_REQUEST = "_run_once (asyncio/base_events.py:1899);handle_request (sanic/app.py:974)"
_PARSE = "parse_message (rasa/core/processor.py:781)"
_POLICIES = "_predict_next_with_tracker (rasa/core/processor.py:1061)"


def test_stage_shares_are_of_request_samples_only(tmp_path):
    collapsed = tmp_path / "profile.txt"
    collapsed.write_text("\n".join([
        f"{_REQUEST};{_PARSE};process (bot/nlu/classifier.py:240) 30",
        f"{_REQUEST};{_POLICIES} 20",
        f"{_REQUEST};json_dumps (sanic/response.py:10) 50",
        # idle executor threads and a parse outside any request (a warm-up from the loader): not counted at all
        "_worker (concurrent/futures/thread.py:81);get (queue.py:171) 900",
        f"load (rasa/core/agent.py:10);{_PARSE} 100",
    ]) + "\n", encoding="utf-8")
    shares = dict(summarize_profile(collapsed))
    assert shares["NLU parse (tokenizer, featurizers, classifier, extractors)"] == 0.3
    assert shares["… classifier"] == 0.3
    assert shares["dialogue policies"] == 0.2
    assert shares["tracker store: save conversation"] == 0.0


def test_no_request_samples_gives_no_summary(tmp_path):
    collapsed = tmp_path / "profile.txt"
    collapsed.write_text("_worker (concurrent/futures/thread.py:81);get (queue.py:171) 900\n", encoding="utf-8")
    assert summarize_profile(collapsed) == []
    assert summarize_profile(tmp_path / "missing.txt") == []
    assert REQUEST_FRAME.startswith("handle_request ")
