"""`boms demo --records N`: N realistic records of each demo type (customers first: orders relate to them),
written through the one record path (validator, formulas, auto-numbers, audit events) in batches."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from server.auth.permissions import Principal
from server.auth.permissions.records import Action
from server.models import User
from server.records.access import access
from server.records.batch import BatchRefused, Target, check_creates, insert_rows, single_path_only
from server.records.service import insert_one
from server.records.types import latest

BATCH = 500
REGIONS = ("north", "east", "south", "west")
CITIES = ("Beijing", "Shanghai", "Guangzhou", "Chengdu", "Hangzhou", "Tianjin", "Wuhan", "Xi'an", "Suzhou")
TRADES = ("Furniture", "Interiors", "Hotels", "Offices", "Homes", "Design", "Trading")
PRODUCTS = (("Oak dining table", "4800.00"), ("Walnut sofa", "7200.00"), ("Wardrobe", "5600.00"),
            ("Office desk", "2100.00"), ("Bookcase", "1500.00"), ("Bed frame", "3900.00"), ("Armchair", "1800.00"))
MATERIALS = (("wood", "m2", "Oak board"), ("wood", "m2", "Walnut veneer"), ("board", "sheet", "MDF 18 mm"),
             ("hardware", "pcs", "Hinge"), ("hardware", "pcs", "Drawer slide"), ("fabric", "m", "Linen fabric"),
             ("finish", "kg", "Clear lacquer"))
FIRST = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu")
GIVEN = ("Wei", "Fang", "Na", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Hui")


def _money(low: int, high: int, rnd: random.Random) -> str:
    return f"{rnd.randint(low, high)}.{rnd.randint(0, 99):02d}"


def _day(rnd: random.Random, back: int = 400) -> str:
    return (date.today() - timedelta(days=rnd.randint(0, back))).isoformat()


def _customer(i: int, rnd: random.Random, users: list[str]) -> dict[str, Any]:
    return {"name": f"{rnd.choice(CITIES)} {rnd.choice(TRADES)} {i:06d}", "contact": f"{rnd.choice(FIRST)} "
            f"{rnd.choice(GIVEN)}", "email": f"buyer{i}@example.cn", "region": rnd.choice(REGIONS),
            "credit_limit": _money(10_000, 500_000, rnd)}


def _contract(i: int, rnd: random.Random, users: list[str]) -> dict[str, Any]:
    amount = rnd.randint(5_000, 900_000)
    return {"number": f"HT-{date.today().year}-{i % 10000:04d}" if i < 10000 else f"HT-{1000 + i // 10000}-"
            f"{i % 10000:04d}", "customer": f"{rnd.choice(CITIES)} {rnd.choice(TRADES)}",
            "amount": f"{amount}.00", "collected": f"{rnd.randint(0, amount)}.00",
            "target": f"{amount + rnd.randint(0, 50_000)}.00", "region": rnd.choice(REGIONS),
            "product_lines": rnd.sample(["sofa", "table", "cabinet"], rnd.randint(1, 3)),
            "signed_on": _day(rnd), "signed": rnd.random() < 0.8}


def _material(i: int, rnd: random.Random, users: list[str]) -> dict[str, Any]:
    category, unit, name = rnd.choice(MATERIALS)
    safety = rnd.randint(10, 200)
    return {"code": f"M-{i:06d}", "name": name, "category": category, "unit": unit,
            "stock": f"{rnd.randint(0, safety * 3)}.00", "safety_stock": f"{safety}.00",
            "unit_cost": _money(2, 900, rnd), "supplier": f"{rnd.choice(CITIES)} Supply",
            "buyer": rnd.choice(users)}


def _lead(i: int, rnd: random.Random, users: list[str]) -> dict[str, Any]:
    status = rnd.choice(("new", "contacted", "qualified", "won", "lost"))
    return {"name": f"{rnd.choice(FIRST)} {rnd.choice(GIVEN)}", "company": f"{rnd.choice(CITIES)} "
            f"{rnd.choice(TRADES)}", "phone": f"+86 138 {rnd.randint(1000, 9999)} {rnd.randint(1000, 9999)}",
            "source": rnd.choice(("showroom", "web", "referral", "fair")), "status": status,
            "owner": rnd.choice(users), "last_contact": _day(rnd, 60),
            "needs_follow_up": status in ("contacted", "qualified") and rnd.random() < 0.5,
            "estimated_value": _money(2_000, 200_000, rnd)}


def _order(customers: list[int]) -> Callable[[int, random.Random, list[str]], dict[str, Any]]:
    def make(i: int, rnd: random.Random, users: list[str]) -> dict[str, Any]:
        lines = []
        for _ in range(rnd.randint(1, 4)):
            product, price = rnd.choice(PRODUCTS)
            quantity = rnd.randint(1, 6)
            lines.append({"product": product, "quantity": quantity, "unit_price": price,
                          "amount": f"{float(price) * quantity:.2f}"})
        status = rnd.choice(("draft", "confirmed", "in_production", "shipped", "delivered", "cancelled"))
        values = {"customer": rnd.choice(customers), "status": status, "ordered_on": _day(rnd), "lines": lines,
                  "owner": rnd.choice(users)}
        if status in ("shipped", "delivered"):
            values["tracking_number"] = f"SF{rnd.randint(10**11, 10**12 - 1)}"
        return values
    return make


STEPS = (("Cut", 30), ("Plane", 20), ("Assemble", 60), ("Sand", 25), ("Lacquer", 40), ("Inspect", 10))


def _work_order(materials: list[int]) -> Callable[[int, random.Random, list[str]], dict[str, Any]]:
    def make(i: int, rnd: random.Random, users: list[str]) -> dict[str, Any]:
        status = rnd.choice(("planned", "in_progress", "on_hold", "done"))
        steps = [{"step": name, "minutes": minutes, "done": status == "done" or rnd.random() < 0.3}
                 for name, minutes in STEPS[:rnd.randint(3, len(STEPS))]]
        return {"product": rnd.choice(PRODUCTS)[0], "quantity": rnd.randint(1, 20), "status": status,
                "materials": rnd.sample(materials, min(len(materials), rnd.randint(1, 4))), "steps": steps,
                "owner": rnd.choice(users), "workers": rnd.sample(users, min(len(users), 2)),
                "due_on": (date.today() + timedelta(days=rnd.randint(-10, 60))).isoformat()}
    return make


def generate(session_factory: Callable[[], Any], count: int, seed: int = 7) -> dict[str, int]:
    """``count`` records of each demo type that is deployed; how many of each were made."""
    rnd = random.Random(seed)
    made: dict[str, int] = {}
    customers: list[int] = []
    materials: list[int] = []
    with session_factory() as session:
        admin = session.execute(select(User).where(User.username == "admin")).scalar_one()
        who = Principal.of(admin)
        users = list(session.execute(select(User.username).where(User.active.is_(True))).scalars()) or ["admin"]
    for key, maker in (("customer", _customer), ("contract", _contract), ("material", _material),
                       ("lead", _lead), ("order", None), ("work_order", None)):
        if maker is None:
            related = customers if key == "order" else materials
            if not related:
                continue
            maker = _order(customers) if key == "order" else _work_order(materials)
        with session_factory() as session:
            if latest(session, key) is None:
                continue
            # numbered after the records already there, so running the command again adds more
            offset = session.scalar(select(func.count()).select_from(access(session, who, key, Action.CREATE).table))
        for start in range(offset, offset + count, BATCH):
            with session_factory() as session:
                a = access(session, who, key, Action.CREATE)
                bodies = [{"fields": maker(i, rnd, users)} for i in range(start, min(offset + count, start + BATCH))]
                if single_path_only(a):  # files and link rows: one record at a time
                    ids = [insert_one(session, a, body["fields"])[0] for body in bodies]
                else:
                    good, refused = check_creates(a, bodies)
                    if refused:
                        raise BatchRefused(f"demo {key} rows were refused", rows=refused[:10])
                    done = insert_rows(session, Target.of(a), good)
                    ids = [done[i] for i in sorted(done)]
                if key == "customer":
                    customers.extend(ids)
                elif key == "material":
                    materials.extend(ids)
                made[key] = made.get(key, 0) + len(ids)
    return made
