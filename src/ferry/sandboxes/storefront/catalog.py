"""What the web shop sells: the world's catalogue grouped into products with variants.

Gas cylinders are left out (they are rented and refilled, not sold online). Items that differ
only in size become one product with a variant per size: wire by diameter and spool, electrodes by
diameter and box, gloves and jackets by size. Everything else is a single-variant product.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ferry.sandboxes.kit import Product

_SOLD_ONLINE = ("Filler Metals", "Safety", "Equipment", "Hardgoods")
_SIZES = ("S", "M", "L", "XL")


@dataclass(slots=True)
class CatalogItem:
    title: str
    product_type: str
    body_html: str
    option_name: str
    variants: list[tuple[str, Product]] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return any(p.active for _, p in self.variants)


def web_catalogue(products: list[Product]) -> list[CatalogItem]:
    items: dict[str, CatalogItem] = {}
    for p in products:
        if p.category not in _SOLD_ONLINE:
            continue
        title, option, label = _split(p)
        item = items.get(title)
        if item is None:
            body = f"<p>{p.description}.</p>" if p.description else ""
            item = items[title] = CatalogItem(title, p.category, body, option)
        item.variants.append((label, p))
    for item in items.values():
        if len(item.variants) == 1:
            # A product with one variant is named in full; Shopify calls its variant "Default Title".
            (_, only) = item.variants[0]
            item.title, item.option_name = only.name, "Title"
            item.variants = [("Default Title", only)]
    return list(items.values())


def _split(p: Product) -> tuple[str, str, str]:
    """(product title, option name, variant label) for one catalogue entry."""
    suffix = p.sku.rsplit("-", 1)[-1]
    if p.category == "Safety" and suffix in _SIZES:
        return p.description, "Size", suffix
    if p.category == "Filler Metals":
        title, _, rest = p.description.partition(", ")
        return title, "Size", rest.replace("diameter ", "").replace(", ", " / ") or p.name
    return p.name, "Title", "Default Title"
