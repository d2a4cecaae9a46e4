"""The cost model's arithmetic (bench/cost.py): a crew's monthly volumes, the prices applied, the autoscale floor,
and the crew size at which a documented limit is met. Pure: no emulator, no capacity.json."""

from __future__ import annotations

import math

import pytest

from bench import cost


def _ping(**over: float) -> cost.PerPing:
    values = {"executions": 0.2, "cpu_s": 0.005, "round_trips": 0.5, "queue_ops": 0.3, "ru": 8.0, "stored_bytes": 300.0}
    values.update(over)
    return cost.PerPing(**values)


def test_a_crew_of_1000_sends_21_million_pings_a_month() -> None:
    crew = cost.Crew(workers=1_000)
    # 8 h x 3,600 s / 30 s = 960 pings a day per worker, x 22 days x 1,000 workers
    assert crew.pings_per_month == 21_120_000
    assert crew.active_hours == 176
    assert crew.pings_per_s == pytest.approx(1_000 / 30)


def test_monthly_volumes_and_prices_follow_from_the_per_ping_figures() -> None:
    crew = cost.Crew(workers=1_000)
    p = _ping()
    m = cost.month(crew, p)
    n = 21_120_000
    assert m.executions == pytest.approx(0.2 * n)
    # execution time on Azure: CPU + one modelled round trip per backend request, on a 2 GB instance
    assert m.gb_s == pytest.approx((0.005 + 0.5 * cost.AZURE_ROUND_TRIP_S) * n * cost.FLEX_INSTANCE_GB)
    assert m.functions_usd == pytest.approx(
        m.gb_s * cost.FLEX_PRICE_PER_GB_S + m.executions / 1e6 * cost.FLEX_PRICE_PER_MILLION_EXECUTIONS
    )
    assert m.queue_usd == pytest.approx(0.3 * n / 10_000 * cost.QUEUE_PRICE_PER_10K_OPS)
    assert m.serverless_usd == pytest.approx(8.0 * n / 1e6 * cost.COSMOS_SERVERLESS_PER_MILLION_RU)
    assert m.stored_gb == pytest.approx(300 * n / 1e9)
    assert m.total(serverless=True) == pytest.approx(m.functions_usd + m.queue_usd + m.serverless_usd + m.storage_usd)
    assert cost.month(cost.Crew(workers=2_000), p).queue_usd == pytest.approx(2 * m.queue_usd)


def test_autoscale_bills_the_maximum_on_shift_and_a_tenth_of_it_otherwise() -> None:
    # 333 RU/s needed: below the smallest autoscale maximum of 1,000 RU/s
    usd, maximum = cost.autoscale_usd(333.0, 176)
    assert maximum == 1_000
    assert usd == pytest.approx((1_000 * 176 + 100 * (730 - 176)) / 100 * cost.COSMOS_AUTOSCALE_PER_100_RU_S_HOUR)
    # 12,345 RU/s: the maximum rounds up to the next 100
    assert cost.autoscale_usd(12_345.0, 176)[1] == 12_400


def test_the_crew_size_at_each_documented_limit() -> None:
    crew = cost.Crew()
    found = {lim.name: lim.workers_at_limit for lim in cost.limits(crew, _ping(), messages_per_ping=0.1)}
    # one message per 10-ping call: 1/300 message/s per worker, 2,000 messages/s per queue
    assert found["one Storage queue: 2,000 messages/s"] == pytest.approx(600_000)
    # 8 RU per ping, 1/30 ping/s per worker: 5,000 RU/s / (8/30) = 18,750 workers on a serverless container
    assert found["Cosmos DB serverless container: 5,000 RU/s"] == pytest.approx(18_750)
    assert found["one storage account: 20,000 requests/s"] == pytest.approx(20_000 / (0.3 / 30))
    assert math.isinf(cost.Limit("x", 0.0, 1.0, "u").workers_at_limit)
    # one account's latest positions: 7 RU per 10-ping call, a call every 300 s per member
    assert cost.latest_partition_members(crew, 7.0) == pytest.approx(10_000 / (7 / 300))
