"""The transition rule of dividends/runs.py against an in-memory fake of the run repository
(dividends/store/runs.py): no database, so a concurrent change can be staged exactly."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from dividends import runs
from schemes.problems import InputError


@dataclass
class FakeRun:
    id: int
    state: str
    computed_at: object = None


@dataclass
class FakeRunStore:
    """What the store keeps: each run's state. ``move_state`` is the conditional update."""

    states: dict[int, str] = field(default_factory=dict)

    async def move_state(self, run_id: int, sources, target: str, **values: object) -> int:
        if self.states.get(run_id) not in list(sources):
            return 0
        self.states[run_id] = target
        return 1


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRunStore:
    store = FakeRunStore()
    monkeypatch.setattr(runs.store, "move_state", store.move_state)
    return store


async def test_a_transition_moves_the_stored_run_and_the_one_in_hand(fake: FakeRunStore) -> None:
    fake.states[1] = "draft"
    run = FakeRun(1, "draft")
    await runs._advance(run, "draft", "computed", computed_at="now")  # type: ignore[arg-type]
    assert (fake.states[1], run.state, run.computed_at) == ("computed", "computed", "now")


async def test_a_run_moved_by_someone_else_meanwhile_is_refused_and_left_alone(fake: FakeRunStore) -> None:
    fake.states[1] = "cancelled"  # another request cancelled it after this one read it as draft
    run = FakeRun(1, "draft")
    with pytest.raises(InputError) as raised:
        await runs._advance(run, "draft", "computed", computed_at="now")  # type: ignore[arg-type]
    assert raised.value.problems[0].msg.key == "run.illegal"
    assert (fake.states[1], run.state, run.computed_at) == ("cancelled", "draft", None)
