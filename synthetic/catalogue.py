"""The catalogue: the eight categories and their leader rates, the suppliers (Chinese company
names, a few with two addresses, a few with none) and the SKUs built from a catalogue of items
(~10% rounded `down` to cases)."""

from __future__ import annotations

import numpy as np
import polars as pl

from synthetic.draws import number_ids

# category, leader_bp, share of the SKUs, supplier name word
CATEGORIES = (
    ("水果", 1000, 0.22, "鲜果"),
    ("蔬菜", 800, 0.18, "蔬菜"),
    ("肉禽蛋", 600, 0.12, "肉食"),
    ("水产海鲜", 700, 0.10, "海产"),
    ("乳品烘焙", 800, 0.10, "乳业"),
    ("粮油调味", 500, 0.10, "粮油"),
    ("休闲零食", 1000, 0.10, "食品"),
    ("日用百货", 1200, 0.08, "日化"),
)
# category -> (item, unit, specs, (cost_fen low, high))
ITEMS = {
    "水果": (
        ("砂糖橘", "箱", ("5斤/箱", "3斤/箱"), (1500, 3500)),
        ("红富士苹果", "箱", ("5斤/箱", "10斤/箱"), (2000, 4500)),
        ("阳光玫瑰葡萄", "盒", ("2斤/盒", "1斤/盒"), (2000, 4500)),
        ("海南香蕉", "袋", ("3斤/袋",), (800, 1500)),
        ("赣南脐橙", "箱", ("5斤/箱", "10斤/箱"), (1800, 4000)),
        ("丹东草莓", "盒", ("500g/盒",), (2500, 5000)),
        ("麒麟西瓜", "个", ("约8斤/个",), (1500, 2800)),
        ("红心火龙果", "箱", ("4个/箱",), (1500, 3000)),
        ("云南蓝莓", "盒", ("125g/盒",), (900, 1800)),
    ),
    "蔬菜": (
        ("西红柿", "份", ("500g/份",), (300, 700)),
        ("上海青", "份", ("500g/份",), (200, 500)),
        ("土豆", "袋", ("2.5kg/袋",), (500, 1000)),
        ("西兰花", "个", ("约400g/个",), (300, 700)),
        ("胡萝卜", "袋", ("1kg/袋",), (300, 600)),
        ("娃娃菜", "袋", ("3颗/袋",), (400, 800)),
        ("香菇", "盒", ("250g/盒",), (500, 1000)),
        ("甜玉米", "袋", ("4根/袋",), (600, 1200)),
    ),
    "肉禽蛋": (
        ("土鸡蛋", "盒", ("30枚/盒", "15枚/盒"), (1200, 2800)),
        ("黑猪五花肉", "盒", ("500g/盒",), (1800, 3200)),
        ("冷鲜鸡翅中", "袋", ("1kg/袋",), (3000, 5000)),
        ("牛腩块", "袋", ("500g/袋",), (3500, 5500)),
        ("猪肋排", "盒", ("500g/盒",), (2500, 4000)),
        ("三黄鸡", "只", ("约1.2kg/只",), (2500, 4000)),
    ),
    "水产海鲜": (
        ("鲜活基围虾", "盒", ("500g/盒",), (3000, 5500)),
        ("大闸蟹", "盒", ("4只/盒", "8只/盒"), (8000, 20000)),
        ("冷冻带鱼段", "袋", ("1kg/袋",), (2500, 4500)),
        ("巴沙鱼柳", "袋", ("1kg/袋",), (1500, 2800)),
        ("鲜活鲈鱼", "条", ("约1斤/条",), (1500, 2800)),
        ("扇贝肉", "袋", ("500g/袋",), (2000, 3500)),
    ),
    "乳品烘焙": (
        ("纯牛奶", "箱", ("250ml*12盒/箱",), (3000, 5000)),
        ("原味酸奶", "瓶", ("1kg/瓶",), (1000, 1800)),
        ("全麦吐司", "袋", ("400g/袋",), (600, 1200)),
        ("鲜奶小方", "盒", ("6个/盒",), (1200, 2200)),
        ("流心奶黄月饼礼盒", "盒", ("6枚/盒",), (15000, 28000)),
    ),
    "粮油调味": (
        ("东北大米", "袋", ("5kg/袋", "10kg/袋"), (2500, 6000)),
        ("花生油", "桶", ("5L/桶",), (6000, 9000)),
        ("特级生抽", "瓶", ("500ml/瓶",), (600, 1200)),
        ("鸡蛋挂面", "袋", ("1kg/袋",), (500, 1000)),
        ("黄小米", "袋", ("2.5kg/袋",), (1500, 2500)),
    ),
    "休闲零食": (
        ("每日坚果", "盒", ("30包/盒",), (4000, 7000)),
        ("手撕面包", "箱", ("1kg/箱",), (1200, 2000)),
        ("海苔脆", "袋", ("100g/袋",), (500, 1000)),
        ("牛肉干", "袋", ("250g/袋",), (2000, 3500)),
        ("薯片", "袋", ("70g/袋",), (300, 600)),
    ),
    "日用百货": (
        ("抽纸", "提", ("6包/提",), (1000, 1800)),
        ("洗衣液", "瓶", ("2kg/瓶",), (1500, 2800)),
        ("厨房湿巾", "包", ("80片/包",), (500, 1000)),
        ("垃圾袋", "卷", ("100只/卷",), (300, 700)),
        ("洗洁精", "瓶", ("1.5kg/瓶",), (800, 1500)),
    ),
}
PRODUCT_PREFIXES = ("精品", "新鲜", "产地直发", "特级", "农家", "有机", "优选", "当季", "严选", "")
CASE_PACKS = (1, 1, 1, 6, 10, 12, 24)
# --- people and places ---------------------------------------------------------------------
SUPPLIER_CITIES = ("广州", "深圳", "佛山", "东莞", "惠州", "中山", "珠海", "江门", "湛江", "昆明", "长沙", "厦门")
SUPPLIER_KINDS = ("供应链有限公司", "贸易有限公司", "商贸有限公司", "农业科技有限公司", "食品有限公司")
SUPPLIER_MINIMUMS_FEN = (0, 0, 0, 20000, 50000, 100000)
DISTRICTS = ("天河区", "海珠区", "越秀区", "荔湾区", "白云区", "番禺区", "黄埔区", "花都区")
DELIVERY_WINDOWS = ("次日 05:00-07:00", "次日 06:00-08:00", "次日 04:30-06:30", "次日 07:00-09:00")


def make_categories() -> pl.DataFrame:
    return pl.DataFrame({
        "category": [name for name, *_ in CATEGORIES],
        "leader_bp": [bp for _, bp, *_ in CATEGORIES],
    })


def supplier_category(supplier: int) -> int:
    """Suppliers specialise: supplier i deals in category i mod 8."""
    return supplier % len(CATEGORIES)


def make_suppliers(rng: np.random.Generator, n: int) -> pl.DataFrame:
    ids = number_ids("S", n, 3)
    return pl.DataFrame({
        "supplier_id": ids,
        "name": [supplier_name(i) for i in range(n)],
        "email": [supplier_email(i, supplier_id) for i, supplier_id in enumerate(ids.to_list())],
        "min_order_fen": rng.choice(SUPPLIER_MINIMUMS_FEN, n),
        "delivery_window": rng.choice(DELIVERY_WINDOWS, n),
    })


def supplier_name(i: int) -> str:
    """Unique per supplier: a city, the category's word and a company kind, then a branch."""
    category = supplier_category(i)
    j = i // len(CATEGORIES)
    city = SUPPLIER_CITIES[j % len(SUPPLIER_CITIES)]
    kind = SUPPLIER_KINDS[j // len(SUPPLIER_CITIES) % len(SUPPLIER_KINDS)]
    branch = j // (len(SUPPLIER_CITIES) * len(SUPPLIER_KINDS))
    suffix = f"{DISTRICTS[branch % len(DISTRICTS)]}{branch}分公司" if branch else ""
    return f"{city}{CATEGORIES[category][3]}{kind}{suffix}"


def supplier_email(i: int, supplier_id: str) -> str | None:
    """One address for most; two for every tenth supplier; none for one in twenty-five."""
    mailbox = supplier_id.lower()
    if i % 25 == 4:
        return None
    if i % 10 == 7:
        return f"{mailbox}@supplier.example.com;{mailbox}.sales@supplier.example.com"
    return f"{mailbox}@supplier.example.com"


def make_products(rng: np.random.Generator, n: int, n_suppliers: int) -> pl.DataFrame:
    shares = np.array([share for _, _, share, _ in CATEGORIES])
    categories = rng.choice(len(CATEGORIES), n, p=shares / shares.sum())
    suppliers_of = [np.arange(c, n_suppliers, len(CATEGORIES)) for c in range(len(CATEGORIES))]
    rows = [draw_product(rng, int(c), suppliers_of[c]) for c in categories]
    frame = pl.DataFrame(rows, schema=["name", "spec", "unit", "category", "supplier", "cost_fen"], orient="row")
    return frame.select(
        number_ids("SKU", n, 4).alias("sku_id"),
        "name", "spec", "unit", "category",
        number_ids("S", n_suppliers, 3).gather(frame["supplier"]).alias("supplier_id"),
        "cost_fen",
        pl.Series("case_pack", rng.choice(CASE_PACKS, n)),
        pl.Series("case_rounding", np.where(rng.random(n) < 0.10, "down", "up")),
    )


def draw_product(rng: np.random.Generator, category: int, suppliers: np.ndarray) -> tuple:
    """One SKU of a category: e.g. 精品砂糖橘5斤装, spec 5斤/箱, unit 箱."""
    category_name = CATEGORIES[category][0]
    item, unit, specs, (low, high) = ITEMS[category_name][rng.integers(len(ITEMS[category_name]))]
    spec = specs[rng.integers(len(specs))]
    prefix = PRODUCT_PREFIXES[rng.integers(len(PRODUCT_PREFIXES))]
    pack = spec.split("/")[0]
    name = f"{prefix}{item}{pack}装" if pack[0].isdigit() else f"{prefix}{item}"
    cost_fen = int(rng.integers(low, high + 1)) // 10 * 10
    return name, spec, unit, category_name, int(suppliers[rng.integers(len(suppliers))]), cost_fen
