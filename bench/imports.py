"""Spreadsheet import and export of records, end to end: parse, convert, validate, write, audit.

Three figures (issue #11's targets in brackets; this machine's load matters, so run it idle):
- a 100,000-row .xlsx with 10 mixed columns (text, integer, money, date, select, boolean, decimal, user,
  relation) imported end to end [<= 10 s], beside python-calamine's bare
  read of the same file (the floor) and the ratio;
- a 1,000,000-row CSV imported [<= 90 s, peak RSS <= 500 MB];
- those 1,000,000 records exported to .xlsx [<= 60 s, bounded memory].
Each phase runs in its own process so its peak RSS (getrusage) is its own.

    .venv/bin/python bench/imports.py [--xlsx-rows 100000] [--csv-rows 1000000] [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

try:
    from bench.common import ROOT, bench_app, machine
except ImportError:  # run as a script: bench/ itself is on sys.path
    from common import ROOT, bench_app, machine

TYPE = {
    "key": "bench_item", "name": {"en": "Bench item", "zh": "测试物品"},
    "fields": [
        {"key": "code", "label": {"en": "Code", "zh": "编码"}, "type": "text", "unique": True, "required": True},
        {"key": "name", "label": {"en": "Name", "zh": "名称"}, "type": "text"},
        {"key": "qty", "label": {"en": "Quantity", "zh": "数量"}, "type": "integer"},
        {"key": "price", "label": {"en": "Price", "zh": "价格"}, "type": "money", "currency": "CNY"},
        {"key": "since", "label": {"en": "Since", "zh": "日期"}, "type": "date"},
        {"key": "status", "label": {"en": "Status", "zh": "状态"}, "type": "select",
         "options": [{"value": "open", "label": {"en": "Open", "zh": "打开"}},
                     {"value": "closed", "label": {"en": "Closed", "zh": "关闭"}}]},
        {"key": "active", "label": {"en": "Active", "zh": "启用"}, "type": "boolean"},
        {"key": "ratio", "label": {"en": "Ratio", "zh": "比例"}, "type": "decimal", "scale": 4},
        {"key": "owner", "label": {"en": "Owner", "zh": "负责人"}, "type": "user"},
        {"key": "supplier", "label": {"en": "Supplier", "zh": "供应商"}, "type": "relation",
         "target": "bench_supplier"},
    ],
}
# The related type: the relation column names a supplier by its unique code.
SUPPLIER = {"key": "bench_supplier", "name": {"en": "Bench supplier", "zh": "测试供应商"},
            "fields": [{"key": "code", "label": {"en": "Code", "zh": "编码"}, "type": "text", "unique": True,
                        "required": True}]}
SUPPLIERS = 200
PROFILE: str | None = None  # --profile FILE: cProfile of the import call alone (pstats file)
HEADER = ["Code", "名称", "qty", "Price", "Since", "状态", "Active", "Ratio", "Owner", "Supplier"]


def _row(i: int, as_text: bool) -> list[object]:
    day = date(2020, 1, 1) + timedelta(days=i % 2000)
    return [f"C{i:08d}", f"Item {i}", i % 1000, f"{i % 10000},{i % 100:02d}.50" if as_text else (i % 100000) + 0.5,
            day.isoformat() if as_text else day, "打开" if i % 3 else "Closed", "是" if i % 2 else "no",
            f"{i % 100}.5%", "admin" if i % 2 else "测试员", f"S-{i % SUPPLIERS:03d}"]


def _xlsx(path: Path, rows: int) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("items")
    dates = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADER)
    for i in range(rows):
        values = _row(i, False)
        for c, value in enumerate(values):
            if isinstance(value, date):
                sheet.write_datetime(i + 1, c, value, dates)
            else:
                sheet.write(i + 1, c, value)
    book.close()


def _csv(path: Path, rows: int) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        for i in range(rows):
            writer.writerow(_row(i, True))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _import(app: object, path: Path) -> tuple[float, float, dict[str, object]]:
    """(wall seconds, this process's CPU seconds, the import's summary); the database server's own CPU
    (PostgreSQL) is not in the second figure."""
    from server.records.imports import run, service

    database, instance = app.extensions["boms_db"], app.config["BOMS"].instance_path  # type: ignore[attr-defined]
    with database.read() as session:
        who = run.principal_of(session, "admin")
    profile = None
    if PROFILE:
        import cProfile

        profile = cProfile.Profile()
        profile.enable()
    started, cpu = time.perf_counter(), time.process_time()
    with open(path, "rb") as stream:
        body = service.start(database, instance, who, "bench_item", path.name, stream, {"onError": "abort"},
                             queue=False)
    run.run_import(database, instance, body["id"])
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profile is not None:
        profile.disable()
        profile.dump_stats(PROFILE)
    with database.read() as session:
        return elapsed, cpu, service.get(session, who, body["id"])


def phase(name: str, rows: int, database_url: str | None, workdir: Path, no_export: bool = False
          ) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from server.records import batch, service, types
    from server.records.service import access
    from server.services.identity import add_user

    result: dict[str, object] = {"phase": name, "rows": rows}
    with bench_app(database_url) as (app, db):
        result["database"] = db.label
        with app.extensions["boms_db"].write() as session:
            add_user(session, "admin", "password-admin", roles=["admin"])
            add_user(session, "tester", "password-tester", display_name="测试员")
            types.save(session, SUPPLIER, "bench")
            types.save(session, TYPE, "bench")
        with app.extensions["boms_db"].write() as session:
            from server.auth.permissions import Principal

            a = access(session, Principal(1, "admin", frozenset({"admin"}), frozenset()), "bench_supplier",
                       service.Action.CREATE)
            batch.insert_rows(session, batch.Target.of(a), {i: {"code": f"S-{i:03d}"} for i in range(SUPPLIERS)})
        if name == "xlsx":
            import python_calamine

            path = workdir / "items.xlsx"
            _xlsx(path, rows)
            started, cpu = time.perf_counter(), time.process_time()
            sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
            count = sum(1 for _ in sheet.iter_rows())
            result.update(bare_read_s=time.perf_counter() - started, bare_cpu_s=time.process_time() - cpu)
            assert count == rows + 1
            elapsed, cpu, body = _import(app, path)
        else:
            path = workdir / "items.csv"
            _csv(path, rows)
            started, cpu = time.perf_counter(), time.process_time()
            with open(path, newline="", encoding="utf-8-sig") as stream:
                count = sum(1 for _ in csv.reader(stream))
            result.update(bare_read_s=time.perf_counter() - started, bare_cpu_s=time.process_time() - cpu)
            assert count == rows + 1
            elapsed, cpu, body = _import(app, path)
        result.update(import_s=elapsed, import_cpu_s=cpu, status=body["status"], inserted=body["inserted"],
                      message=body["message"], import_peak_mb=_peak_mb())
        if name == "csv" and not no_export:
            from server.auth.permissions import Principal
            from server.records.imports.export import export

            who = Principal(1, "admin", frozenset({"admin"}), frozenset())
            started, cpu = time.perf_counter(), time.process_time()
            out = export(app.extensions["boms_db"], who, "bench_item", "xlsx", None, None, None, "en")
            size = sum(len(block) for block in out.body)
            result.update(export_s=time.perf_counter() - started, export_cpu_s=time.process_time() - cpu,
                          export_bytes=size, export_rows=out.rows,
                          peak_mb=_peak_mb())
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--no-export", action="store_true", help="skip the export after the CSV import")
    parser.add_argument("--phase", choices=("xlsx", "csv"), help=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of each import call (FILE.xlsx, FILE.csv)")
    args = parser.parse_args()
    if args.phase:
        global PROFILE
        PROFILE = f"{args.profile}.{args.phase}" if args.profile else None
        import tempfile

        with tempfile.TemporaryDirectory(prefix="boms-bench-imports-") as tmp:
            rows = args.xlsx_rows if args.phase == "xlsx" else args.csv_rows
            print(json.dumps(phase(args.phase, rows, args.database_url, Path(tmp), args.no_export), default=str))
        return 0
    print(f"# record import and export — {machine()}")
    for name in ("xlsx", "csv"):
        if (args.xlsx_rows if name == "xlsx" else args.csv_rows) <= 0:
            continue
        command = [sys.executable, __file__, "--phase", name, "--xlsx-rows", str(args.xlsx_rows), "--csv-rows",
                   str(args.csv_rows)] + (["--database-url", args.database_url] if args.database_url else []) + (
                   ["--no-export"] if args.no_export else []) + (["--profile", args.profile] if args.profile else [])
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
        r = json.loads(output)
        print(f"{r['database']} (load average before the phase {load})")
        per_row = f"CPU {r['import_cpu_s']:.1f} s = {r['import_cpu_s'] / r['rows'] * 1e6:.0f} µs/row, " \
                  f"wall {r['import_s'] / r['rows'] * 1e6:.0f} µs/row"
        if name == "xlsx":
            print(f"  .xlsx {r['rows']:,} rows x 10 columns: import end to end {r['import_s']:.1f} s "
                  f"({r['rows'] / r['import_s']:,.0f} rows/s; {per_row}), status {r['status']}, {r['inserted']:,} "
                  f"inserted; calamine bare read {r['bare_read_s']:.2f} s (CPU {r['bare_cpu_s']:.2f} s); "
                  f"ratio {r['import_s'] / r['bare_read_s']:.0f}x (CPU {r['import_cpu_s'] / r['bare_cpu_s']:.0f}x); "
                  f"peak RSS {r['import_peak_mb']:.0f} MB")
        else:
            print(f"  .csv {r['rows']:,} rows: import {r['import_s']:.1f} s ({r['rows'] / r['import_s']:,.0f} rows/s; "
                  f"{per_row}), "
                  f"status {r['status']}, {r['inserted']:,} inserted; csv module bare read {r['bare_read_s']:.2f} s; "
                  f"ratio {r['import_s'] / r['bare_read_s']:.0f}x; peak RSS {r['import_peak_mb']:.0f} MB")
            if "export_s" not in r:
                continue
            print(f"  export {r['export_rows']:,} rows to .xlsx: {r['export_s']:.1f} s "
                  f"(CPU {r['export_cpu_s']:.1f} s), "
                  f"{r['export_bytes'] / 1e6:.0f} MB, peak RSS after both {r['peak_mb']:.0f} MB")
        if r.get("message"):
            print(f"  message: {r['message']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
