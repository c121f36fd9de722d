import pandera.polars as pa
import polars as pl

from schemas.columns import ID_PATTERN, optional, required

COLUMNS = {
    "supplier_id": required(), "name": required(), "email": optional(),
    "min_order_fen": optional("int", 0), "delivery_window": optional(),
    "po_transport": optional("str", "email"), "po_url": optional(),
}
PO_TRANSPORTS = ["email", "api"]
# https to any host; plain http only to the loopback host (tests, a local relay). No user or
# password in the URL (the authority ends at the first / ? #; an `@` in it is refused): a CSV
# holds no secret, and `http://localhost@elsewhere` is not the loopback host.
PO_URL_PATTERN = (r"^(https://[^/?#@\s]+|http://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]{1,5})?)"
                  r"([/?#][^\s]*)?$")


class Suppliers(pa.DataFrameModel):
    """suppliers.csv: who delivers. `email` may hold several addresses separated by `;`.
    `po_transport` says how the purchase order goes out: `email` (the default) or `api` (a signed
    JSON POST to `po_url`, docs/po-api.md)."""

    supplier_id: str = pa.Field(str_matches=ID_PATTERN, unique=True, description="supplier id")
    name: str = pa.Field(description="company name, printed on the purchase order")
    email: str = pa.Field(nullable=True, str_matches=r"^[^@\s;]+@[^@\s;]+(\s*;\s*[^@\s;]+@[^@\s;]+)*;?$",
                          description="purchase-order recipients, `;`-separated")
    min_order_fen: int = pa.Field(ge=0, description="minimum purchase-order value in fen")
    delivery_window: str = pa.Field(nullable=True, description="e.g. 次日 05:00-07:00")
    po_transport: str = pa.Field(isin=PO_TRANSPORTS, description="email (default) or api (docs/po-api.md)")
    po_url: str = pa.Field(nullable=True, description="the supplier's endpoint for `api`: https://..., "
                                                      "http:// only to localhost, 127.0.0.1 or [::1]")

    class Config:
        strict = True

    @pa.check("po_url", error="must be an https:// address (plain http:// only to localhost, 127.0.0.1 or [::1]), "
                               "without a user or password in it")
    def po_url_is_https(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("po_url").is_null() | pl.col("po_url").str.contains(PO_URL_PATTERN))

    @pa.dataframe_check(error="po_transport api needs a po_url (the supplier's endpoint)")
    def api_has_url(cls, data) -> pl.LazyFrame:
        return data.lazyframe.select((pl.col("po_transport") != "api") | pl.col("po_url").is_not_null())
