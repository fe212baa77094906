"""Run the prediction graph in a precomputed order instead of through dask, for every message.

Rasa 3.6 runs each message's NLU graph and each policy prediction through `dask.get`: per run it rebuilds the
minimal schema, the dask graph and dask's execution order, then schedules a dozen small tasks. At 20 users this
bookkeeping cost more than some of the components. `SequentialGraphRunner` computes the order once per set of
targets and calls the same `GraphNode`s with the same inputs: a node gets the outputs of the nodes it needs, the
`(name, value)` pair of a run input, or — as with dask — the bare name when nothing provides it. Results and errors
are those of Rasa's runner. Training keeps Rasa's dask runner.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, FrozenSet, List, Optional, Text, Tuple

from rasa.engine.exceptions import GraphRunError
from rasa.engine.runner.dask import DaskGraphRunner

_Step = Tuple[Text, Tuple[Text, ...]]  # node name, names of the values it takes
_Plan = Tuple[Tuple[_Step, ...], FrozenSet[Text]]  # steps in order, and the names of their nodes


class SequentialGraphRunner(DaskGraphRunner):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plan = lru_cache(maxsize=16)(self._execution_plan)

    def _execution_plan(self, targets: Tuple[Text, ...]) -> _Plan:
        """Nodes the targets depend on, each after everything it needs (depth first, like a topological sort)."""
        nodes = self._graph_schema.minimal_graph_schema(list(targets)).nodes
        plan: List[_Step] = []
        done: set[Text] = set()

        def visit(name: Text, path: Tuple[Text, ...]) -> None:
            if name in done or name not in nodes:
                return
            if name in path:
                raise GraphRunError(f"Cycle in the graph at node '{name}'.")
            needs = tuple(nodes[name].needs.values())
            for dependency in needs:
                visit(dependency, path + (name,))
            done.add(name)
            plan.append((name, needs))

        for target in targets:
            visit(target, ())
        return tuple(plan), frozenset(done)

    def run(self, inputs: Optional[Dict[Text, Any]] = None,
            targets: Optional[List[Text]] = None) -> Dict[Text, Any]:
        run_targets = list(targets if targets else self._graph_schema.target_names)
        plan, planned = self._plan(tuple(run_targets))
        values: Dict[Text, Any] = {}
        for name, value in (inputs or {}).items():
            if isinstance(value, str) and value in planned:
                raise GraphRunError(
                    f"Input value '{value}' clashes with a node name. Make sure that none of the input names passed "
                    f"to the `run` method are the same as node names in the graph schema."
                )
            values[name] = (name, value)
        try:
            for name, needs in plan:
                values[name] = self._instantiated_nodes[name](*(values.get(n, n) for n in needs))
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e
        return dict(values.get(target, target) for target in run_targets)


def install() -> None:
    import rasa.core.processor

    rasa.core.processor.DaskGraphRunner = SequentialGraphRunner  # the name the processor loads models with
