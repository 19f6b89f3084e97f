"""Does the cost of one step grow with an instance's history?

One instance of tests/fixtures/camunda/loop.bpmn goes round its user task `--steps` times through
BOMS's real write path (services.tasks.complete inside Database.write(), as the API calls it).
Each completion is timed; the medians around steps 10, 100, 1,000 and 10,000 and the stored state
size there show whether pruning the engine's task tree (server/engine/store.py) keeps a step flat.

A baseline runs the same loop in SpiffWorkflow alone, in memory, without the pruning: its tree gets
deeper every pass, so each step costs more, until SpiffWorkflow's task iterator (max_depth=1000)
no longer finds the READY task and the loop stalls.

    .venv/bin/python bench/history_growth.py [--steps 10000] [--baseline-passes 1000]
                                              [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                                              [--strict]   (exit 1 if the ratio target is missed)
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from typing import Any

try:
    from bench.common import FIXTURES, add_user, bench_app, machine, median_ms
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import FIXTURES, add_user, bench_app, machine, median_ms

LOOP = FIXTURES / "loop.bpmn"
TARGET_RATIO = 1.5


@dataclass
class Window:
    target: int  # the step it is "around"
    first: int  # inclusive, 1-based completion numbers
    last: int


def windows(steps: int) -> list[Window]:
    """Windows around 10, 100, 1,000, ... that fit in `steps`; the last ends at `steps` if it is not one."""
    found: list[Window] = []
    target = 10
    while target <= steps:
        half = 5 if target == 10 else 10
        last = min(target + half, steps)
        found.append(Window(target, max(1, last - 2 * half), last))
        target *= 10
    if not found or found[-1].last != steps:
        # The final steps are the ones that matter most for "does it grow", so always measure them.
        found.append(Window(steps, max(1, steps - 20), steps))
    return found


@dataclass
class Run:
    times: list[float] = field(default_factory=list)  # wall seconds per completion, index = step - 1
    cpu: list[float] = field(default_factory=list)  # this process's CPU seconds per completion
    sizes: dict[int, int] = field(default_factory=dict)  # step -> stored state in bytes
    fresh: dict[int, list[float]] = field(default_factory=dict)  # window target -> control step times
    stalled_at: int | None = None

    def median(self, w: Window, samples: list[float] | None = None) -> float | None:
        samples = self.times if samples is None else samples
        if len(samples) < w.last:
            return None
        return median_ms(samples[w.first - 1:w.last])


def run_boms(app: Any, steps: int, ws: list[Window]) -> Run:
    from sqlalchemy import select

    from server.auth.permissions import Principal
    from server.models import HumanTask, ProcessInstance, User
    from server.services import processes, tasks
    from server.services.deployments import UploadedFile, deploy

    db, runner = app.extensions["boms_db"], app.extensions["boms_runner"]
    user_id, name, _ = add_user(app, roles=["staff", "modeler"], groups=["employees"])
    with db.write() as session:
        deploy(session, [UploadedFile(LOOP.name, LOOP.read_bytes())], name, False)
        who = Principal.of(session.get(User, user_id))

    def start() -> str:
        with db.write() as session:
            return processes.start(session, runner, who, "loop", {}, None).id

    def open_task(instance_id: str) -> str:
        # Not timed: finding the next task is the client's job, not the step's.
        with db.read() as session:
            return session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open")).one()

    def complete(instance_id: str) -> tuple[float, float]:
        task_id = open_task(instance_id)
        wall, cpu = time.perf_counter(), time.process_time()
        with db.write() as session:
            tasks.complete(session, runner, who, task_id, {"done": False})
        return time.perf_counter() - wall, time.process_time() - cpu

    run = Run()
    instance_id = start()
    fresh_id = ""
    for step in range(1, steps + 1):
        wall, cpu = complete(instance_id)
        run.times.append(wall)
        run.cpu.append(cpu)
        for w in ws:
            if w.first <= step <= w.last:
                # Control: a new instance stepped right alongside. The machine, the database and its
                # table sizes are the same at that moment; only the instance's own history differs.
                if step == w.first:
                    fresh_id = start()
                run.fresh.setdefault(w.target, []).append(complete(fresh_id)[0])
            if step == w.target:
                with db.read() as session:
                    state = session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == instance_id))
                run.sizes[step] = len(state.encode())
                print(f"  BOMS step {step:>6}: {median_ms(run.times[-10:]):7.2f} ms (last 10), "
                      f"state {run.sizes[step]} B", file=sys.stderr, flush=True)
    return run


def run_baseline(passes: int, marks: set[int]) -> Run:
    from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
    from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
    from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
    from SpiffWorkflow.util.task import TaskState

    from server.engine.parser import BomsParser
    from server.engine.scripting import JexlScriptEngine
    from server.engine.store import WorkingTreeConverter

    parser = BomsParser()
    parser.add_bpmn_file(str(LOOP))
    workflow = BpmnWorkflow(parser.get_spec("loop"), script_engine=JexlScriptEngine())
    workflow.do_engine_steps()
    # BOMS's converter (no spec) but no prune(): the size BOMS would store if it kept the history.
    serializer = BpmnWorkflowSerializer(
        BpmnWorkflowSerializer.configure({**CAMUNDA_CONFIG, BpmnWorkflow: WorkingTreeConverter}))
    run = Run()
    for step in range(1, passes + 1):
        started = time.perf_counter()
        ready = workflow.get_tasks(state=TaskState.READY, manual=True)
        if not ready:
            run.stalled_at = step
            break
        ready[0].data["done"] = False
        ready[0].run()
        workflow.do_engine_steps()
        run.times.append(time.perf_counter() - started)
        if step in marks:
            run.sizes[step] = len(serializer.serialize_json(workflow).encode())
    return run


def fmt(value: float | None) -> str:
    return f"{value:7.2f}" if value is not None else "      -"


def report(ws: list[Window], boms: Run, baseline: Run, baseline_passes: int, database: str,
           seconds: float) -> bool:
    print(f"\nhistory growth: one loop instance, {ws[-1].last} completions of user task 'work'")
    print(f"database: {database}")
    print(f"machine:  {machine()}")
    print("\nmedian ms per completion; fresh = a new instance stepped alongside (same moment, no history)")
    print(f"{'window (steps)':>15} | {'BOMS':>8} {'CPU':>7} {'fresh':>7} {'state B':>8} | {'Spiff alone':>11} "
          f"{'tree B':>8}")
    for w in ws:
        base = baseline.median(w)
        base_txt = fmt(base) if base is not None else ("stalled" if baseline.stalled_at else "not run")
        print(f"{f'{w.first}-{w.last}':>15} | {fmt(boms.median(w))} {fmt(boms.median(w, boms.cpu))} "
              f"{fmt(median_ms(boms.fresh[w.target]))} {boms.sizes[w.target]:>8} | {base_txt:>11} "
              f"{baseline.sizes.get(w.target, '-'):>8}")
    first, last = ws[0], ws[-1]

    def ratio(samples: list[float] | None = None) -> float:
        return (boms.median(last, samples) or 0.0) / (boms.median(first, samples) or 1.0)

    ok = ratio() <= TARGET_RATIO
    print(f"\nBOMS ratio last/first window: {ratio():.2f}   target <= {TARGET_RATIO}: {'met' if ok else 'NOT met'}")
    # Wall time on a shared machine moves with its load; CPU time and the fresh control do not
    # (much), so they tell growth due to history apart from a busier machine.
    history = (boms.median(last) or 0.0) / median_ms(boms.fresh[last.target])
    print(f"  same ratio in CPU time of this process: {ratio(boms.cpu):.2f}; "
          f"at steps {last.first}-{last.last}, this instance / a fresh one: {history:.2f}")
    print(f"BOMS stored state: {boms.sizes[first.target]} B at step {first.target}, {boms.sizes[last.target]} B "
          f"at step {last.target} ({boms.sizes[last.target] - boms.sizes[first.target]:+d} B)")
    done = len(baseline.times)
    if baseline.stalled_at:
        print(f"Spiff alone, unpruned: stalled at pass {baseline.stalled_at} of {baseline_passes}: get_tasks(READY)"
              f" found no task (tree depth past SpiffWorkflow's TaskIterator max_depth=1000)")
    else:
        print(f"Spiff alone, unpruned: {done} passes completed")
    if done >= 40:
        tail, head = median_ms(baseline.times[-20:]), median_ms(baseline.times[4:15])
        print(f"  its last 20 passes ({done - 19}-{done}): {tail:.2f} ms/step = {tail / head:.1f}x its steps 5-15")
    print(f"\nwall time: {seconds:.1f} s")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10_000, help="completions through BOMS (default 10000)")
    parser.add_argument("--baseline-passes", type=int, default=1000,
                        help="passes for SpiffWorkflow alone, unpruned (default 1000; it stalls near 500)")
    parser.add_argument("--database-url", help="default: SQLite in a temp dir; a PostgreSQL URL gets a "
                                                 "fresh database on that server, dropped after")
    parser.add_argument("--strict", action="store_true", help="exit 1 if the ratio target is not met")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.baseline_passes < 1:
        parser.error("--steps and --baseline-passes must be at least 1")
    began = time.perf_counter()
    ws = windows(args.steps)
    print("SpiffWorkflow alone (no pruning) ...", file=sys.stderr, flush=True)
    baseline = run_baseline(args.baseline_passes, {w.target for w in ws + windows(args.baseline_passes)})
    print(f"BOMS, {args.steps} steps ...", file=sys.stderr, flush=True)
    with bench_app(args.database_url) as (app, db):
        boms = run_boms(app, args.steps, ws)
        ok = report(ws, boms, baseline, args.baseline_passes, db.label, time.perf_counter() - began)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
