from chat.ratelimit import TokenBucket


def allowed(bucket, attempts):
    return sum(bucket.allow() for _ in range(attempts))


def test_full_bucket_allows_a_burst_then_refuses(fake_clock):
    bucket = TokenBucket(rate=1, burst=3, clock=fake_clock)

    assert allowed(bucket, 3) == 3
    assert bucket.allow() is False


def test_tokens_refill_at_the_rate(fake_clock):
    bucket = TokenBucket(rate=2, burst=1, clock=fake_clock)
    bucket.allow()

    fake_clock.advance(0.25)
    assert bucket.allow() is False
    fake_clock.advance(0.25)
    assert bucket.allow() is True
    assert bucket.allow() is False


def test_refill_never_exceeds_the_burst(fake_clock):
    bucket = TokenBucket(rate=5, burst=3, clock=fake_clock)
    allowed(bucket, 3)

    fake_clock.advance(60)

    assert allowed(bucket, 10) == 3


def test_rate_zero_disables_the_limit(fake_clock):
    bucket = TokenBucket(rate=0, burst=1, clock=fake_clock)

    assert allowed(bucket, 1000) == 1000


def test_burst_below_one_still_allows_one_message(fake_clock):
    bucket = TokenBucket(rate=1, burst=0, clock=fake_clock)

    assert allowed(bucket, 5) == 1
