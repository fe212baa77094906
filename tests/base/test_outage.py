import logging

from base.outage import OutageLog


def make(clock):
    return OutageLog("Redis at test", "memory meanwhile", retry_after_s=5, clock=lambda: clock[0])


def test_one_warning_per_outage_and_one_info_on_recovery(caplog):
    clock = [0.0]
    outage = make(clock)
    with caplog.at_level(logging.INFO, logger="base.outage"):
        for _ in range(50):
            outage.failed(ConnectionError("refused"))
        clock[0] = 12
        outage.succeeded()
        outage.succeeded()
        outage.failed(TimeoutError())  # a second outage is a second warning
    records = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert records == [
        ("WARNING", "Redis at test unreachable (ConnectionError); memory meanwhile"),
        ("INFO", "Redis at test answers again after 12 s of outage"),
        ("WARNING", "Redis at test unreachable (TimeoutError); memory meanwhile"),
    ]


def test_while_down_one_probe_per_interval():
    clock = [0.0]
    outage = make(clock)
    assert outage.should_try()
    outage.failed(ConnectionError())
    assert [outage.should_try() for _ in range(3)] == [False, False, False]
    clock[0] = 5.0
    assert [outage.should_try() for _ in range(3)] == [True, False, False]  # one caller probes, the rest fall back
    outage.succeeded()
    assert outage.should_try() and not outage.down


def test_recently_down_covers_the_outage_and_a_while_after():
    clock = [0.0]
    outage = make(clock)
    assert not outage.recently_down(60)
    outage.failed(ConnectionError())
    assert outage.recently_down(60)
    clock[0] = 10
    outage.succeeded()
    clock[0] = 69
    assert outage.recently_down(60)
    clock[0] = 71
    assert not outage.recently_down(60)
