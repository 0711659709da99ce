"""The failure throttle behind SMTP AUTH and the review sign-in, on a clock the test moves."""

from __future__ import annotations

from piigate.config import ThrottleSettings
from piigate.throttle import FailureThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


SETTINGS = ThrottleSettings(
    failures_before_lockout=3, first_delay=1.0, max_delay=3.0, lockout_seconds=60, window=120
)


def test_delays_double_up_to_the_cap_and_the_third_failure_locks_out() -> None:
    """Delays are 1, 2, then 3 s (capped); the third failure locks the key for 60 s."""
    clock = Clock()
    throttle = FailureThrottle(SETTINGS, clock)
    delays = [throttle.failed("address 10.0.0.1") for _ in range(3)]
    assert delays == [1.0, 2.0, 3.0]
    assert throttle.locked("address 10.0.0.1")
    clock.now += 59
    assert throttle.locked("address 10.0.0.1")
    clock.now += 2
    assert not throttle.locked("address 10.0.0.1")


def test_failures_older_than_the_window_are_forgotten() -> None:
    """Two failures, then a quiet window: the next failure counts as the first again."""
    clock = Clock()
    throttle = FailureThrottle(SETTINGS, clock)
    throttle.failed("user pat")
    throttle.failed("user pat")
    clock.now += 121
    assert throttle.failed("user pat") == 1.0
    assert not throttle.locked("user pat")


def test_a_success_clears_the_account_but_not_the_address() -> None:
    """A right password forgets the account's failures; the address keeps its count, so one
    good account cannot wash an address's guesses at others."""
    throttle = FailureThrottle(SETTINGS, Clock())
    for _ in range(2):
        throttle.failed("address 10.0.0.1", "user pat")
    throttle.succeeded("user pat")
    throttle.failed("address 10.0.0.1", "user lee")
    assert throttle.locked("address 10.0.0.1")
    assert not throttle.locked("user pat") and not throttle.locked("user lee")


def test_the_number_of_keys_remembered_is_bounded() -> None:
    """Beyond max_tracked keys the oldest are forgotten (a flood of names cannot grow memory)."""
    throttle = FailureThrottle(SETTINGS.model_copy(update={"max_tracked": 100}), Clock())
    for n in range(500):
        throttle.failed(f"user u{n}")
    assert len(throttle._failures) == 100
