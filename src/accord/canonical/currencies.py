"""ISO 4217 currencies accord supports, with their minor-unit exponents.

The table covers the active ISO 4217 codes that have a minor unit (precious metals, testing
and SDR codes, which have none, are excluded). Exponents follow the ISO list: most currencies
have two decimals; the zero- and three-decimal ones are listed explicitly.
"""

from __future__ import annotations

from typing import Final

_ZERO: Final = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE: Final = "BHD IQD JOD KWD LYD OMR TND"
_FOUR: Final = "CLF UYW"
_TWO: Final = (
    "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN "
    "BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP "
    "GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT "
    "LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN "
    "NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE "
    "SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES "
    "WST XCD XCG YER ZAR ZMW ZWG"
)

CURRENCY_EXPONENTS: Final[dict[str, int]] = {
    **dict.fromkeys(_TWO.split(), 2),
    **dict.fromkeys(_ZERO.split(), 0),
    **dict.fromkeys(_THREE.split(), 3),
    **dict.fromkeys(_FOUR.split(), 4),
}


class UnknownCurrencyError(ValueError):
    """The code is not an ISO 4217 currency accord supports."""

    def __init__(self, code: object) -> None:
        super().__init__(f"{code!r} is not a supported ISO 4217 currency code")
        self.code = code


def exponent(code: str) -> int:
    """Number of minor-unit digits for ``code`` (JPY 0, USD 2, KWD 3)."""
    try:
        return CURRENCY_EXPONENTS[code]
    except KeyError:
        raise UnknownCurrencyError(code) from None


def is_supported(code: str) -> bool:
    return code in CURRENCY_EXPONENTS


__all__ = ["CURRENCY_EXPONENTS", "UnknownCurrencyError", "exponent", "is_supported"]
