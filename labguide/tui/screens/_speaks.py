"""What every screen of the guide shares: the app, its words, its errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from textual.app import SystemCommand
from textual.content import Content
from textual.dom import DOMNode
from textual.worker import Worker, WorkerState

from labguide.tui.pages import money
from labguide.tui.words import has_word, say

if TYPE_CHECKING:
    from labguide.tui.app import GuideApp
    from labguide.tui.engine import Connection, Costs

ENDED = (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED)


class Speaks:
    """Mixed into the guide's screens: the app, words in the learner's
    language, the screen's commands for the palette, and worker failures
    shown as the learner should see them."""

    @property
    def guide(self) -> GuideApp:
        """The guide app this screen belongs to."""
        return cast("GuideApp", cast(DOMNode, self).app)

    def say(self, key: str, **values: object) -> str:
        """The words for `key` in the learner's language."""
        return say(key, self.guide.language, **values)

    def translate(self) -> None:
        """Puts every word of the screen in the learner's language; screens
        extend it for their own labels."""
        describe_bindings(cast(DOMNode, self), self.guide.language)

    def place_line(self, connection: Connection, participant: str | None) -> Content:
        """Where the lab runs, for whom and as whom: the top left of the lab
        and teardown screens."""
        place = connection.place
        where = (
            self.say("lab.where-sandbox")
            if place.is_sandbox
            else self.say("lab.where-aws", account=connection.account)
        )
        who = participant or self.say("start.solo")
        return Content.assemble(
            (where, "bold"), f" · {place.region} · {who} · {connection.caller}"
        )

    def cost_line(self, costs: Costs | None) -> Content:
        """What the lab costs by the hour now, and once whole: the top right
        of the lab and teardown screens, always in view."""
        if costs is None:
            return Content("")
        now = self.say("lab.cost-now", now=money(costs.now, costs.currency))
        whole = self.say("lab.cost-lab", lab=money(costs.whole_lab, costs.currency))
        return Content.assemble(
            (now, "bold $text-warning" if costs.now else ""), " · ", whole
        )

    def commands(self) -> Iterable[SystemCommand]:
        """The screen's actions, for the command palette."""
        return ()

    def worker_ended(self, worker: Worker[object]) -> None:
        """Called when one of the screen's workers ends, however it ended."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state in ENDED:
            self.worker_ended(event.worker)
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.guide.show_failure(event.worker.error)


def describe_bindings(node: DOMNode, language: str) -> None:
    """Words the node's key bindings in `language`, for the footer.

    A binding's description is fixed when its class is made, and Textual
    offers no public way to change it; the footer reads the node's own copy
    of its bindings, so that copy is rewritten in place. Bindings are named
    by their `id`, whose words are `key.<id>`.
    """
    table = node._bindings.key_to_bindings
    for key, bindings in table.items():
        table[key] = [
            replace(binding, description=say(f"key.{binding.id}", language))
            if binding.id and has_word(f"key.{binding.id}")
            else binding
            for binding in bindings
        ]
    node.refresh_bindings()
