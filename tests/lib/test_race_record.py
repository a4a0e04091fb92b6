"""lib.race_record: the copy of benchmarks/results/race-cpu.json that chapter 10 plots, shipped with lib for Colab."""

from __future__ import annotations

import json
from pathlib import Path

from lib import race_record
from lib.recipes import RACE_CONTESTANTS, RACE_LRS, RACE_SEEDS, RACE_TASKS

REPO = Path(__file__).resolve().parents[2]


def test_the_record_in_lib_is_the_benchmarks():
    record = json.loads((REPO / "benchmarks" / "results" / "race-cpu.json").read_text())
    assert (race_record.MEASURED, race_record.CHOSEN, race_record.SPEED, race_record.CURVES) == (
        record["meta"]["date"], record["chosen"], record["speed"], record["curves"])
    for result in record["race"]:  # every run of the race, three seeds, each at the end of its task's steps
        assert result["curve"][-1][0] == RACE_TASKS[result["task"]].steps
    assert {r["seed"] for r in record["race"]} == set(RACE_SEEDS)


def test_the_recipes_race_with_what_the_sweep_chose():
    chosen = {(task, name): tuple(setting) for task, by_name in race_record.CHOSEN.items()
              for name, setting in by_name.items()}
    assert chosen == RACE_LRS
    assert {name for _, name in chosen} == set(RACE_CONTESTANTS)
