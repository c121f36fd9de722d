import pandera.polars as pa
import polars as pl

from schemas.columns import ID_PATTERN, MAX_BP, optional, required

COLUMNS = {
    "pickup_point_id": required(), "name": required(), "address": optional(),
    "leader_id": required(), "leader_name": required(), "leader_phone": optional(),
    "route_id": required(), "route_seq": required("int"), "leader_bp": optional("int"),
    "arrives_after_min": optional("int"), "webhook": optional(), "webhook_format": optional(),
}
WEBHOOK_FORMATS = ["wecom", "dingtalk", "feishu"]  # 企业微信, 钉钉, 飞书 group bots
WEBHOOK_HOSTS = {"qyapi.weixin.qq.com": "wecom", "oapi.dingtalk.com": "dingtalk", "open.feishu.cn": "feishu",
                 "open.larksuite.com": "feishu"}  # a webhook on these hosts needs no webhook_format
WEBHOOK_PATTERN = r"^https?://[^\s/]+(/\S*)?$"
MAX_MINUTES = 24 * 60


def webhook_host(url: pl.Expr) -> pl.Expr:
    return url.str.extract(r"^https?://(?:[^@/\s]*@)?([^:/\s]+)", 1).str.to_lowercase()


class PickupPoints(pa.DataFrameModel):
    """pickup_points.csv: where customers collect, who leads it, and its delivery route stop."""

    pickup_point_id: str = pa.Field(str_matches=ID_PATTERN, unique=True)
    name: str
    address: str = pa.Field(nullable=True)
    leader_id: str = pa.Field(str_matches=ID_PATTERN, description="the team leader (团长)")
    leader_name: str
    leader_phone: str = pa.Field(nullable=True)
    route_id: str = pa.Field(str_matches=ID_PATTERN, description="delivery route")
    route_seq: int = pa.Field(ge=0, description="stop order on the route")
    leader_bp: int = pa.Field(nullable=True, ge=0, le=MAX_BP, description="overrides the category's rate")
    arrives_after_min: int = pa.Field(nullable=True, ge=0, le=MAX_MINUTES,
                                      description="minutes after its route departs (routes.csv) the goods arrive")
    webhook: str = pa.Field(nullable=True, str_matches=WEBHOOK_PATTERN,
                            description="the leader's group bot (its URL carries the bot's key)")
    webhook_format: str = pa.Field(nullable=True, isin=WEBHOOK_FORMATS,
                                   description="wecom, dingtalk or feishu; empty: from the webhook's host")

    class Config:
        strict = True

    @pa.dataframe_check(error="webhook_format is empty and the webhook's host is none of qyapi.weixin.qq.com "
                              "(wecom), oapi.dingtalk.com (dingtalk), open.feishu.cn or open.larksuite.com "
                              "(feishu): set webhook_format")
    def webhook_format_known(cls, data) -> pl.LazyFrame:
        known = webhook_host(pl.col("webhook")).is_in(list(WEBHOOK_HOSTS))
        return data.lazyframe.select(pl.col("webhook").is_null() | pl.col("webhook_format").is_not_null() | known)
