"""Tests for costlib.capacity.queueing: Erlang B and C, M/M/c waits and latencies.

Reference values come from exact computation (fractions) of the textbook formulas, from the
Wolfram Language documentation's ErlangC example, from M/M/1 closed forms worked by hand, and
from a simulated first-come-first-served queue.
"""

from __future__ import annotations

import heapq
import math
import re
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from costlib import capacity as cap
from costlib.errors import InputError


def erlang_c_direct(traffic: Fraction, servers: int) -> Fraction:
    """Erlang C by its textbook direct sum, in exact rational arithmetic:
    (A^c / c! * c / (c - A)) / (sum_{k<c} A^k / k! + A^c / c! * c / (c - A))."""
    traffic = Fraction(traffic)
    head = sum(traffic**k / math.factorial(k) for k in range(servers))
    top = traffic**servers / math.factorial(servers) * servers / (servers - traffic)
    return top / (head + top)


def test_erlang_c_wolfram_example_two_erlangs_three_servers():
    # Wolfram Language documentation, ErlangC, basic example: ErlangC[3, 2] = 4/9 = 0.4444
    # (c = 3 servers, A = 2 Erlangs); the same entry as a call-centre Erlang C table.
    assert erlang_c_direct(Fraction(2), 3) == Fraction(4, 9)
    assert cap.erlang_c(2, 3) == pytest.approx(4 / 9, rel=1e-14)
    # Erlang B of the same system is 4/19: (2^3/3!) / (1 + 2 + 2 + 8/6).
    assert cap.erlang_b(2, 3) == pytest.approx(4 / 19, rel=1e-14)


def test_erlang_c_one_erlang_two_servers_is_one_third():
    # M/M/2 closed form P(wait) = 2 rho^2 / (1 + rho), rho = A / 2 = 0.5: 1/3 exactly.
    rho = Fraction(1, 2)
    assert 2 * rho**2 / (1 + rho) == Fraction(1, 3) == erlang_c_direct(Fraction(1), 2)
    assert cap.erlang_c(1, 2) == pytest.approx(1 / 3, rel=1e-14)


def test_erlang_c_one_server_is_utilization():
    # M/M/1: a request waits exactly when the server is busy, P(wait) = rho.
    rho = np.array([0.0, 0.1, 0.5, 0.9, 0.999])
    np.testing.assert_allclose(cap.erlang_c(rho, 1), rho, rtol=1e-13)


@pytest.mark.parametrize(("traffic", "servers"), [
    (Fraction(40), 50), (Fraction(9875, 100), 120), (Fraction(480), 500), (Fraction(1), 64),
])
def test_erlang_c_large_systems_match_exact_direct_sum(traffic, servers):
    expected = float(erlang_c_direct(traffic, servers))
    assert cap.erlang_c(float(traffic), servers) == pytest.approx(expected, rel=1e-11)


def test_erlang_c_stays_finite_where_the_direct_formula_overflows():
    # 1000 servers: A^c and c! overflow floats, the recursion does not.
    with pytest.raises(OverflowError):
        float(950.0**1000)
    p_wait = cap.erlang_c(950.0, 1000)
    assert 0 < p_wait < 1
    assert p_wait == pytest.approx(float(erlang_c_direct(Fraction(950), 1000)), rel=1e-9)


def test_erlang_c_broadcasts_over_a_grid():
    traffic = np.array([[0.5], [2.0], [7.5]])
    servers = np.arange(1, 11)
    grid = cap.erlang_c(traffic, servers)
    assert grid.shape == (3, 10)
    for i, a in enumerate(traffic[:, 0]):
        for j, c in enumerate(servers):
            expected = 1.0 if a >= c else float(erlang_c_direct(Fraction(a), int(c)))
            assert grid[i, j] == pytest.approx(expected, rel=1e-12)


def test_erlang_c_is_one_at_or_above_full_utilization():
    np.testing.assert_array_equal(cap.erlang_c([3.0, 4.0, 100.0], 3), 1.0)


def test_queue_latency_mm1_closed_forms():
    # M/M/1 by hand: lambda = 0.2/s, s = 3 s, so rho = 0.6 and mu - lambda = 1/3 - 1/5 = 2/15/s
    # (a 7.5 s time constant). P(wait) = rho; W has P(W > t) = rho exp(-t / 7.5), mean
    # rho * 7.5 = 4.5 s; latency is Exp with mean 7.5 s. Quantiles: wait p50 = 7.5 ln(1.2)
    # = 1.36741 s, p95 = 7.5 ln(12) = 18.6368 s; latency p50 = 7.5 ln 2 = 5.19860 s,
    # p95 = 7.5 ln 20 = 22.4680 s.
    q = cap.queue_latency(0.2, 3.0, 1)
    assert q.feasible and q.utilization == pytest.approx(0.6)
    assert q.p_wait == pytest.approx(0.6)
    assert q.mean_wait_seconds == pytest.approx(4.5)
    assert q.p50_wait_seconds == pytest.approx(1.36741168, rel=1e-8)
    assert q.p95_wait_seconds == pytest.approx(18.6367999, rel=1e-8)
    assert q.mean_latency_seconds == pytest.approx(7.5)
    assert q.p50_latency_seconds == pytest.approx(5.19860385, rel=1e-8)
    assert q.p95_latency_seconds == pytest.approx(22.4679921, rel=1e-8)


def test_queue_latency_with_no_traffic_is_the_service_time():
    q = cap.queue_latency(0.0, 4.0, 3)
    assert q.p_wait == 0 and q.mean_wait_seconds == 0 and q.p95_wait_seconds == 0
    assert q.mean_latency_seconds == 4.0
    assert q.p95_latency_seconds == pytest.approx(-4.0 * math.log(0.05), rel=1e-12)


def _sojourn_survival_by_quadrature(t, p_wait, service_rate, decay):
    from scipy.integrate import quad

    def waits_past(s):
        return service_rate * math.exp(-service_rate * s) * p_wait * math.exp(-decay * (t - s))

    return math.exp(-service_rate * t) + quad(waits_past, 0, t)[0]


@pytest.mark.parametrize(("rate", "service", "gpus"), [
    (2.0, 3.0, 8),    # wait decays faster than service
    (1.0, 1.0, 2),    # wait decay equals the service rate: the formula's 0/0 case
    (1.8, 1.0, 2),    # wait decays slower than service
])
def test_latency_quantile_solves_the_sojourn_distribution(rate, service, gpus):
    # The returned p95 must leave 5 % of latencies above it, with P(W + S > t) integrated
    # numerically from P(W > t) = C exp(-(c/s - lambda) t) and S ~ Exp(1/s).
    p_wait = float(erlang_c_direct(Fraction(rate * service), gpus))
    q = cap.queue_latency(rate, service, gpus)
    survival = _sojourn_survival_by_quadrature(q.p95_latency_seconds, p_wait, 1 / service,
                                               gpus / service - rate)
    assert survival == pytest.approx(0.05, rel=1e-9)
    p99 = cap.latency_quantile_seconds(0.99, rate, service, gpus)
    assert _sojourn_survival_by_quadrature(p99, p_wait, 1 / service,
                                           gpus / service - rate) == pytest.approx(0.01)


def _simulate_fcfs_latencies(rate, service, gpus, requests, seed):
    """Independent check: an M/M/c first-come-first-served queue, simulated."""
    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / rate, requests))
    services = rng.exponential(service, requests)
    free_at = [0.0] * gpus
    waits = np.empty(requests)
    for i in range(requests):
        start = max(arrivals[i], heapq.heappop(free_at))
        waits[i] = start - arrivals[i]
        heapq.heappush(free_at, start + services[i])
    return waits, waits + services


def test_queue_latency_agrees_with_a_simulated_queue():
    rate, service, gpus = 2.5, 3.0, 9       # 7.5 Erlangs on 9 GPUs, utilization 0.83
    waits, latencies = _simulate_fcfs_latencies(rate, service, gpus, 200_000, seed=6)
    waits, latencies = waits[10_000:], latencies[10_000:]   # drop the warm-up
    q = cap.queue_latency(rate, service, gpus)
    assert np.mean(waits > 0) == pytest.approx(q.p_wait, abs=0.02)
    assert np.mean(waits) == pytest.approx(q.mean_wait_seconds, rel=0.08)
    assert np.quantile(waits, 0.95) == pytest.approx(q.p95_wait_seconds, rel=0.08)
    assert np.quantile(latencies, 0.5) == pytest.approx(q.p50_latency_seconds, rel=0.05)
    assert np.quantile(latencies, 0.95) == pytest.approx(q.p95_latency_seconds, rel=0.05)


def test_overloaded_queue_is_infeasible_with_infinite_waits():
    # 1 request/s of 3 s jobs is 3 Erlangs: 2 and 3 GPUs cannot keep up, 4 can.
    q = cap.queue_latency(1.0, 3.0, [2, 3, 4])
    np.testing.assert_array_equal(q.feasible, [False, False, True])
    np.testing.assert_array_equal(q.p_wait[:2], 1.0)
    for field in ("mean_wait_seconds", "p50_wait_seconds", "p95_wait_seconds",
                  "mean_latency_seconds", "p50_latency_seconds", "p95_latency_seconds"):
        values = getattr(q, field)
        assert np.all(np.isinf(values[:2])), field
        assert np.isfinite(values[2]), field
    assert cap.wait_quantile_seconds(0.99, 1.0, 3.0, 3) == math.inf
    assert cap.latency_quantile_seconds(0.99, 1.0, 3.0, 3) == math.inf


def test_queue_latency_broadcasts_over_rates_and_gpus():
    rates = np.linspace(0.1, 3.0, 7)[:, None]
    gpus = np.arange(1, 13)
    q = cap.queue_latency(rates, 2.0, gpus)
    assert q.p95_latency_seconds.shape == (7, 12)
    single = cap.queue_latency(rates[4, 0], 2.0, gpus[9])
    assert q.p95_latency_seconds[4, 9] == pytest.approx(single.p95_latency_seconds)
    assert q.p50_wait_seconds[4, 9] == pytest.approx(single.p50_wait_seconds)


@pytest.mark.parametrize(("call", "field"), [
    (lambda: cap.erlang_c(-1.0, 3), "traffic_erlangs"),
    (lambda: cap.erlang_c(1.0, 0), "servers"),
    (lambda: cap.erlang_b(1.0, 1.5), "servers"),
    (lambda: cap.queue_latency(-0.5, 3.0, 2), "requests_per_second"),
    (lambda: cap.queue_latency(float("nan"), 3.0, 2), "requests_per_second"),
    (lambda: cap.queue_latency(0.5, 0.0, 2), "service_seconds"),
    (lambda: cap.queue_latency(0.5, 3.0, 0), "gpus"),
    (lambda: cap.wait_quantile_seconds(1.0, 0.5, 3.0, 2), "quantile"),
    (lambda: cap.wait_quantile_seconds(0.5, 0.5, 3.0, 2.5), "gpus"),
    (lambda: cap.latency_quantile_seconds(0.0, 0.5, 3.0, 2), "quantile"),
    (lambda: cap.latency_quantile_seconds(0.5, 0.5, -3.0, 2), "service_seconds"),
])
def test_bad_input_names_the_field(call, field):
    # One line: the field before the first colon, then what is allowed.
    with pytest.raises(InputError, match=rf"^{re.escape(field)}:[^\n]*allowed[^\n]*$"):
        call()


def test_nan_is_reported_as_not_finite_rather_than_out_of_range():
    with pytest.raises(InputError, match=r"requests_per_second: nan .*finite"):
        cap.queue_latency(float("nan"), 3.0, 2)


@given(st.floats(0, 200), st.floats(0.1, 30), st.integers(1, 300))
def test_wait_never_rises_as_gpus_are_added(rate_per_minute, service, gpus):
    rate = rate_per_minute / 60
    q = cap.queue_latency(rate, service, [gpus, gpus + 1])
    assert q.mean_wait_seconds[1] <= q.mean_wait_seconds[0]
    assert q.p95_wait_seconds[1] <= q.p95_wait_seconds[0]
    assert q.p95_latency_seconds[1] <= q.p95_latency_seconds[0] * (1 + 1e-12)
    assert q.p_wait[1] <= q.p_wait[0]


@given(st.floats(0, 1e4), st.integers(1, 400))
def test_wait_probability_is_a_probability(traffic, servers):
    p_wait = cap.erlang_c(traffic, servers)
    blocking = cap.erlang_b(traffic, servers)
    assert 0 <= blocking <= p_wait <= 1
