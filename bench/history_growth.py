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
    if not found or found[-1].target != steps:
        # The final steps are the ones that matter most for "does it grow", so always measure them.
        found.append(Window(steps, max(1, steps - 20), steps))
    return found


@dataclass
class Run:
    times: list[float] = field(default_factory=list)  # seconds per completion, index = step - 1
    sizes: dict[int, int] = field(default_factory=dict)  # step -> stored state in bytes
    stalled_at: int | None = None

    def median(self, w: Window) -> float | None:
        if len(self.times) < w.last:
            return None
        return median_ms(self.times[w.first - 1:w.last])


def run_boms(app: Any, steps: int, marks: set[int]) -> Run:
    from sqlalchemy import select

    from server.auth.permissions import Principal
    from server.models import HumanTask, ProcessInstance, User
    from server.services import processes, tasks
    from server.services.deployments import UploadedFile, deploy

    db, runner = app.extensions["boms_db"], app.extensions["boms_runner"]
    user_id, name, _ = add_user(app, roles=["staff", "modeler"], groups=["employees"])
    with db.write() as session:
        deploy(session, [UploadedFile(LOOP.name, LOOP.read_bytes())], name, False)
    with db.write() as session:
        who = Principal.of(session.get(User, user_id))
        instance_id = processes.start(session, runner, who, "loop", {}, None).id

    def open_task() -> str:
        with db.read() as session:
            return session.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == instance_id, HumanTask.status == "open")).one()

    run = Run()
    task_id = open_task()
    for step in range(1, steps + 1):
        started = time.perf_counter()
        with db.write() as session:
            tasks.complete(session, runner, who, task_id, {"done": False})
        run.times.append(time.perf_counter() - started)
        # Outside the timed part: finding the next task is the client's job, not the step's.
        task_id = open_task()
        if step in marks:
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
    return f"{value:9.2f}" if value is not None else "        -"


def report(steps: int, boms: Run, baseline: Run, baseline_passes: int, database: str, seconds: float) -> bool:
    ws = windows(steps)
    print(f"\nhistory growth: one loop instance, {steps} completions of user task 'work'")
    print(f"database: {database}")
    print(f"machine:  {machine()}")
    print(f"\n{'window (steps)':>18} | {'BOMS ms/step':>12} {'state B':>9} | {'Spiff-alone ms/step':>19} "
          f"{'tree B':>10}")
    for w in ws:
        base = baseline.median(w)
        base_txt = fmt(base) if base is not None else (
            "  stalled" if baseline.stalled_at else "  not run")
        print(f"{f'{w.first}-{w.last}':>18} | {fmt(boms.median(w)):>12} {boms.sizes.get(w.target, 0):>9} | "
              f"{base_txt:>19} {baseline.sizes.get(w.target, '-'):>10}")
    first, last = boms.median(ws[0]), boms.median(ws[-1])
    ratio = (last or 0.0) / (first or 1.0)
    ok = ratio <= TARGET_RATIO
    print(f"\nBOMS ratio last/first window: {ratio:.2f}   (target <= {TARGET_RATIO}: {'met' if ok else 'NOT met'})")
    size_growth = boms.sizes[ws[-1].target] - boms.sizes[ws[0].target]
    print(f"BOMS stored state: {boms.sizes[ws[0].target]} B at step {ws[0].target}, "
          f"{boms.sizes[ws[-1].target]} B at step {ws[-1].target} (growth {size_growth:+d} B)")
    done = len(baseline.times)
    if baseline.stalled_at:
        print(f"Spiff-alone baseline: stalled at pass {baseline.stalled_at} of {baseline_passes}: "
              f"get_tasks(READY) found no task (tree depth past SpiffWorkflow's max_depth=1000)")
    else:
        print(f"Spiff-alone baseline: {done} passes completed")
    if done >= 40:
        tail = median_ms(baseline.times[-20:])
        head = median_ms(baseline.times[4:15])
        print(f"Spiff-alone: last 20 passes before the end ({done - 19}-{done}): {tail:.2f} ms/step, "
              f"{tail / head:.1f}x its steps 5-15")
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
    marks = {w.target for w in windows(args.steps)}
    print("SpiffWorkflow alone (no pruning) ...", file=sys.stderr, flush=True)
    baseline = run_baseline(args.baseline_passes, marks | {w.target for w in windows(args.baseline_passes)})
    print(f"BOMS, {args.steps} steps ...", file=sys.stderr, flush=True)
    with bench_app(args.database_url) as (app, db):
        boms = run_boms(app, args.steps, marks)
        ok = report(args.steps, boms, baseline, args.baseline_passes, db.label, time.perf_counter() - began)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
