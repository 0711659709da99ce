"""Failed password checks, throttled: the SMTP AUTH of remote clients and the review UI's
sign-in both count failures per client address and per account name.

Each failure earns a growing delay before its reply (``first_delay``, doubling, at most
``max_delay``), so guessing is slow without holding up anyone else; after
``failures_before_lockout`` failures within ``window`` seconds the key is locked for
``lockout_seconds`` and every attempt is refused without a password check. Only keys
(an address, a name) are kept, never a password.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from piigate.config import ThrottleSettings


class FailureThrottle:
    def __init__(
        self, settings: ThrottleSettings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings = settings
        self._clock = clock
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._locked_until: dict[str, float] = {}

    def locked(self, *keys: str) -> bool:
        """Whether any of ``keys`` is locked out now."""
        now = self._clock()
        for key in keys:
            until = self._locked_until.get(key)
            if until is not None and until > now:
                return True
            if until is not None:
                del self._locked_until[key]
        return False

    def failed(self, *keys: str) -> float:
        """Count a failure against each key; return the seconds to wait before replying."""
        now = self._clock()
        settings = self.settings
        worst = 0
        for key in keys:
            recent = [t for t in self._failures.pop(key, []) if now - t < settings.window]
            recent.append(now)
            self._failures[key] = recent
            worst = max(worst, len(recent))
            if len(recent) >= settings.failures_before_lockout:
                self._locked_until[key] = now + settings.lockout_seconds
        self._forget_oldest()
        return float(min(settings.first_delay * 2 ** (worst - 1), settings.max_delay))

    def succeeded(self, key: str) -> None:
        """A right password: forget ``key``'s failures (an account, not an address, so one
        good account cannot wash an address's guesses)."""
        self._failures.pop(key, None)

    def _forget_oldest(self) -> None:
        while len(self._failures) > self.settings.max_tracked:
            self._failures.popitem(last=False)
        if len(self._locked_until) > self.settings.max_tracked:
            now = self._clock()
            self._locked_until = {k: t for k, t in self._locked_until.items() if t > now}
