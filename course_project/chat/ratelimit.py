import time


class TokenBucket:
    """Allows `rate` events a second on average, and bursts of up to `burst` at once.

    One bucket per socket: the consumer asks `allow()` for each frame. A rate of 0 disables it.
    """

    def __init__(self, rate, burst, clock=time.monotonic):
        self.rate = rate
        self.burst = max(burst, 1)
        self.clock = clock
        self.tokens = float(self.burst)
        self.updated = clock()

    def allow(self):
        if self.rate <= 0:
            return True
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False
