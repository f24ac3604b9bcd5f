"""Which 6-digit administrative division codes (GB/T 2260) belong to each policy's jurisdiction.

These are facts of the national code table, not policy numbers: a claim's `region` must be a
district/county code inside the issuing government's area. Target tables are counted by them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Division:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    policy: str
    name: str
    prefix: str
    """Every region code of the jurisdiction starts with this (province 2, city 4, district 6 digits)."""
    divisions: tuple[Division, ...]

    def contains(self, region: str) -> bool:
        return len(region) == 6 and region.isdigit() and region.startswith(self.prefix)

JURISDICTIONS: dict[str, Jurisdiction] = {
    "huludao-2019": Jurisdiction(
        "huludao-2019", "葫芦岛市", "2114",
        (
            Division("211400", "市直"),
            Division("211401", "市直"),
            Division("211402", "连山区"),
            Division("211403", "龙港区"),
            Division("211404", "南票区"),
            Division("211421", "绥中县"),
            Division("211422", "建昌县"),
            Division("211481", "兴城市"),
        ),
    ),
    "heilongjiang-2019": Jurisdiction(
        "heilongjiang-2019", "黑龙江省", "23",
        (
            Division("230100", "哈尔滨"),
            Division("230200", "齐齐哈尔"),
            Division("230300", "鸡西"),
            Division("230400", "鹤岗"),
            Division("230500", "双鸭山"),
            Division("230600", "大庆"),
            Division("230700", "伊春"),
            Division("230800", "佳木斯"),
            Division("230900", "七台河"),
            Division("231000", "牡丹江"),
            Division("231100", "黑河"),
            Division("231200", "绥化"),
            Division("232700", "大兴安岭"),
        ),
    ),
    "nanxun-2019": Jurisdiction(
        "nanxun-2019", "湖州市南浔区", "330503", (Division("330503", "南浔区"),)
    ),
    "zhumadian-2019": Jurisdiction(
        "zhumadian-2019", "驻马店市", "4117",
        (
            Division("411700", "市直"),
            Division("411701", "市直"),
            Division("411702", "驿城区"),
            Division("411721", "西平县"),
            Division("411722", "上蔡县"),
            Division("411723", "平舆县"),
            Division("411724", "正阳县"),
            Division("411725", "确山县"),
            Division("411726", "泌阳县"),
            Division("411727", "汝南县"),
            Division("411728", "遂平县"),
            Division("411729", "新蔡县"),
        ),
    ),
    "ordos-2019": Jurisdiction(
        "ordos-2019", "鄂尔多斯市", "1506",
        (
            Division("150600", "市直"),
            Division("150601", "市直"),
            Division("150602", "东胜区"),
            Division("150603", "康巴什区"),
            Division("150621", "达拉特旗"),
            Division("150622", "准格尔旗"),
            Division("150623", "鄂托克前旗"),
            Division("150624", "鄂托克旗"),
            Division("150625", "杭锦旗"),
            Division("150626", "乌审旗"),
            Division("150627", "伊金霍洛旗"),
        ),
    ),
}
