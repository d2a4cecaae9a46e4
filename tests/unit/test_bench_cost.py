"""The cost model's arithmetic (bench/cost.py, issue 31): request units from Cosmos DB's documented charges by
operation and size, the operations per worker-day each design makes, storage at steady state, the production
autoscale billing, and the itemised figure per worker-month. Pure: no emulator, no capacity.json."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bench import cost


def test_request_units_follow_the_documented_examples() -> None:
    # learn.microsoft.com/azure/cosmos-db/understand-request-unit-consumption: a 1 KB create with 10 indexed terms
    # 5.0 + 0.2 x 10 = 7; a replace with two modified terms 10.8; a patch 11.6; a delete with 10 terms 7.0
    assert cost.create_ru(1024, 10) == pytest.approx(7.0, abs=0.1)
    assert cost.replace_ru(1024, 2) == pytest.approx(10.8, abs=0.1)
    assert cost.patch_ru(1024, 2, 2) == pytest.approx(11.6, abs=0.2)
    assert cost.delete_ru(1024, 10) == pytest.approx(7.0, abs=0.1)
    assert cost.read_ru(1024) == 1.0 and cost.read_ru(300) == 1.0, "1 KB and less: one RU"


def test_charges_grow_with_size_between_the_documented_points() -> None:
    assert cost.read_ru(16 * 1024) == pytest.approx(1.67)
    assert cost.create_ru(12 * 1024, 0) == pytest.approx((7.04 + 9.52) / 2)
    assert cost.create_ru(256 * 1024, 0) == pytest.approx(2 * 48.19)  # past the table: in proportion
    assert cost.query_ru(10, 1024) == pytest.approx(cost.QUERY_BASE_RU + 10)


def test_the_crew() -> None:
    crew = cost.Crew(workers=1_000)
    assert (crew.pings_per_day, crew.calls_per_day) == (960, 96)
    assert crew.pings_per_month == 21_120_000
    assert crew.working_days_kept == pytest.approx(264)  # a year of 22-day months


def test_one_ingest_call_in_ten_pays_the_rate_limit_counter_and_every_flush_its_expiry_plan_once() -> None:
    crew = cost.Crew()
    led = cost.ledger(crew, cost.ISSUE31)
    assert led.ru["ingest: rate-limit counter (patch)"] == pytest.approx(9.6 * cost.patch_ru(150, 1))  # leased
    assert cost.ledger(crew, cost.TODAY).ru["ingest: rate-limit counter (patch)"] == pytest.approx(
        96 * cost.patch_ru(150, 1)
    )
    assert led.ru["writer: expiry plan (retention and holds, one query)"] == pytest.approx(96 * cost.query_ru(1, 500))
    unjoined = cost.ledger(crew, replace(cost.ISSUE31, joined_writer_reads=False))
    assert unjoined.ru["writer: expiry plan (retention read, holds query)"] == pytest.approx(
        96 * (1.0 + cost.QUERY_BASE_RU)
    )
    assert led.ru["writer: member record and gate (one query)"] == pytest.approx(96 * cost.query_ru(1, 2_700))
    assert "writer: private zones read" not in led.ru and "writer: private zones read" in unjoined.ru
    assert cost.ledger(crew, cost.TODAY).ru["writer: ttl stamping, 2 privacy reads"] == pytest.approx(96 * 2 * 1.0)
    assert led.ru["writer: ping documents (batch creates)"] == pytest.approx(960 * cost.create_ru(432, 2))


def test_the_writer_of_today_pays_for_the_day_already_stored_and_issue31s_does_not() -> None:
    short, long = cost.Crew(hours_per_day=4), cost.Crew(hours_per_day=8)

    def per_flush(crew: cost.Crew, design: cost.Design) -> float:
        led = cost.ledger(crew, design)
        writer = sum(v for k, v in led.ru.items() if k.startswith("writer:") and "ping documents" not in k)
        return writer / crew.calls_per_day

    assert per_flush(long, cost.TODAY) > 1.5 * per_flush(short, cost.TODAY)
    assert per_flush(long, cost.ISSUE31) == pytest.approx(per_flush(short, cost.ISSUE31), rel=0.1)


def test_storage_is_what_the_retention_keeps_not_a_months_growth() -> None:
    year, half = cost.Crew(location_days=365), cost.Crew(location_days=182)
    pings = cost.ledger(year, cost.ISSUE31).stored["pings"][0]
    assert pings == pytest.approx(264 * 960 * cost.PING_BYTES)
    assert cost.ledger(half, cost.ISSUE31).stored["pings"][0] == pytest.approx(pings / 2, rel=0.01)
    coarse = cost.ledger(year, replace(cost.ISSUE31, coarsen_after_days=30)).stored["pings"][0]
    assert coarse < pings / 8


def test_autoscale_bills_each_hour_at_its_peak_never_below_a_tenth_of_the_maximum() -> None:
    crew = cost.Crew()
    usd, maximum = cost.autoscale_month(445.0, 10.0, crew, maximum_ru_s=4_000)
    assert maximum == 4_000  # the maximum holds the peak
    billed = 176 * 445 + (730 - 176) * 400
    assert usd == pytest.approx(billed / 100 * 0.012 * cost.COSMOS_ZONE_REDUNDANT_FACTOR)
    assert cost.autoscale_month(445.0, 10.0, crew, maximum_ru_s=1_000)[1] == 1_000
    assert cost.autoscale_month(44_500.0, 10.0, crew)[1] == 45_000  # past prod's maximum: raised


def test_the_model_prices_the_production_parameters_as_deployed(tmp_path: Path) -> None:
    assert cost.prod_parameter("cosmosAutoscaleMaxThroughput") == cost.PROD_AUTOSCALE_MAX_RU_S
    assert cost.ISSUE31.instance_mb == cost.prod_parameter("functionInstanceMemoryMB")
    other = tmp_path / "prod.bicepparam"
    other.write_text("using '../main.bicep'\nparam cosmosAutoscaleMaxThroughput = 6000\nparam x = 'y'\n")
    assert cost.prod_parameter("cosmosAutoscaleMaxThroughput", other) == 6_000
    with pytest.raises(ValueError, match="functionInstanceMemoryMB"):
        cost.prod_parameter("functionInstanceMemoryMB", other)


def test_a_smaller_instance_stretches_cpu_time_but_not_round_trips() -> None:
    crew = cost.Crew()
    big, small = cost.ledger(crew, cost.ISSUE31), cost.ledger(crew, replace(cost.ISSUE31, instance_mb=512))
    photos_big, photos_small = big.by_group["photos"][1], small.by_group["photos"][1]
    assert photos_small == pytest.approx(4 * photos_big)  # verification is CPU only: 0.25 cores
    assert 1 < small.by_group["http"][1] / big.by_group["http"][1] < 4  # ingest and map polls also wait on requests


def test_serverless_pays_the_expiry_deletes_and_provisioned_does_not() -> None:
    crew = cost.Crew()
    led = cost.ledger(crew, cost.ISSUE31)
    serverless = cost.bill(crew, cost.ISSUE31, serverless=True).items["Cosmos DB RU (serverless)"]
    ru = sum(led.ru.values()) + sum(led.expiry_ru.values())
    assert serverless == pytest.approx(ru * 22 / 1e6 * cost.COSMOS_SERVERLESS_PER_MILLION_RU)
    assert led.expiry_ru["pings"] == pytest.approx(960 * cost.delete_ru(432, 2))


@pytest.mark.parametrize("workers", [1_000, 100_000])
def test_each_design_costs_less_than_the_one_before_and_next_meets_the_target_at_scale(workers: int) -> None:
    crew = cost.Crew(workers=workers)
    today, issue31, nxt = (cost.bill(crew, d).total for d in cost.DESIGNS)
    assert today > issue31 > nxt
    assert today > 0.2 and issue31 > cost.TARGET, "the honest figures before the levers"
    # 1,000 workers: two Flex instances billed through the shift (HTTP and the writer) weigh 0.067 per worker
    assert (nxt <= cost.TARGET) == (workers == 100_000)


def test_a_flex_scale_group_is_billed_while_it_runs_at_least_one_execution_for_a_second_at_least() -> None:
    shift = 8 * 3600.0
    # 3 executions a second of 50 ms: one instance, billed nearly the whole shift (each period lasts 1 s at least)
    assert cost.flex_instance_seconds(3.0, 0.05, 16, shift) == pytest.approx(shift, rel=0.05)
    # one execution a minute: about 1.05 s billed per execution
    sparse = cost.flex_instance_seconds(1 / 60, 0.05, 16, shift)
    assert sparse == pytest.approx(shift / 60 * 1.05, rel=0.02)
    # 800 executions a second of 0.1 s at 16 each: 5 instances, all busy
    assert cost.flex_instance_seconds(800.0, 0.1, 16, shift) == pytest.approx(5 * shift)


def test_every_lever_saves_something_somewhere() -> None:
    small, large = cost.Crew(workers=1_000), cost.Crew(workers=100_000)
    for name, change in cost.LEVERS.items():
        design = replace(cost.ISSUE31, **change)
        saved = max(cost.bill(c, cost.ISSUE31).total - cost.bill(c, design).total for c in (small, large))
        assert saved > 0, name


def test_the_report_itemises_both_crew_sizes() -> None:
    lines = cost.report(None, cost.Crew(workers=1_000), (100_000,))
    text = "\n".join(lines)
    assert "1,000 workers" in text and "100,000 workers" in text
    for item in ("Cosmos DB storage at retention", "Queue polling", "Telemetry ingestion", "Blob: photos kept"):
        assert text.count(item) == 2, item


def test_the_backup_is_priced_in_the_tier_prod_deploys() -> None:
    """The 7-day continuous backup has no charge, the 30-day tier bills the stored bytes (bench/cost.py sources);
    the model reads the tier from infra/params/prod.bicepparam, and `today` keeps the 30 days it had."""
    crew = cost.Crew()
    assert cost.PROD_BACKUP_TIER in cost.COSMOS_BACKUP_PER_GB_MONTH
    for design in cost.DESIGNS:
        billed = cost.bill(crew, design)
        backup = billed.items["Cosmos DB continuous backup"]
        stored_gb = billed.stored_mb_per_worker / 1000
        assert backup == pytest.approx(stored_gb * cost.COSMOS_BACKUP_PER_GB_MONTH[design.backup_tier])
    assert (
        cost.TODAY.backup_tier == "Continuous30Days"
        and cost.bill(crew, cost.TODAY).items["Cosmos DB continuous backup"] > 0
    )
    assert "cosmosBackupTier" in cost.PROD_PARAMS.read_text()


def test_a_string_parameter_is_read_from_the_prod_file(tmp_path: Path) -> None:
    params = tmp_path / "p.bicepparam"
    params.write_text("param cosmosBackupTier = 'Continuous30Days'\nparam other = 3\n")
    empty = tmp_path / "empty.bicepparam"
    empty.write_text("param other = 3\n")
    assert cost.prod_string_parameter("cosmosBackupTier", params) == "Continuous30Days"
    with pytest.raises(ValueError, match="cosmosBackupTier"):
        cost.prod_string_parameter("cosmosBackupTier", empty)
