"""Address resolution (``GET``/``POST /api/v2/addresses/resolve``, and the addresses of a
transaction): a US address is found by its postal code, or by city and region, among the
places of the rate table; an EU address by its country. The answer is AvaTax's
``AddressResolutionModel``: the address as given, the validated address, coordinates,
``resolutionQuality``, the tax authorities and ``messages`` (each naming the field it
refers to) for what could not be resolved.

A request that gives none of the fields AvaTax needs to try (a postal code, or line1 with
city and region, or line1 with a postal code) is refused with ``InvalidAddress``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from accord.sandboxes.avatax.errors import AvaTaxError
from accord.sandboxes.avatax.rates import Place, RateTable

FIELDS = ("line1", "line2", "line3", "city", "region", "postalCode", "country")
SOURCE = "Avalara.AvaTax.Common"


def _clean(raw: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name in FIELDS:
        value = raw.get(name)
        if value is None:
            for key, item in raw.items():  # query strings arrive in any case
                if key.lower() == name.lower():
                    value = item
        if value is not None and str(value).strip():
            found[name] = str(value).strip()
    return found


@dataclass(frozen=True)
class Resolved:
    """An address as the tax engine sees it: a US place, an EU country, or unknown."""

    given: dict[str, str]
    country: str
    region: str | None
    place: Place | None
    problems: tuple[dict[str, Any], ...]

    @property
    def resolved(self) -> bool:
        return not self.problems


def _message(summary: str, refers_to: str, details: str) -> dict[str, Any]:
    return {"summary": summary, "details": details, "refersTo": refers_to,
            "severity": "Error", "source": SOURCE}


def resolve(table: RateTable, raw: dict[str, Any], *, where: str = "Address") -> Resolved:
    given = _clean(raw)
    country = given.get("country", "US").upper()
    if country in ("US", "USA"):
        country = "US"
        if not ("postalCode" in given or ("line1" in given and "city" in given
                                          and "region" in given)):
            raise AvaTaxError(400, "InvalidAddress",
                              "An address needs a postal code, or line1 with city and region.",
                              refers_to=f"{where}.PostalCode")
        place = table.place(given.get("postalCode")) if "postalCode" in given \
            else table.place_by_city(given.get("city"), given.get("region"))
        problems: list[dict[str, Any]] = []
        if place is None:
            field = "PostalCode" if "postalCode" in given else "City"
            problems.append(_message(
                "The address is not deliverable.", f"{where}.{field}",
                f"The {field[0].lower() + field[1:]} "
                f"{given.get('postalCode') or given.get('city')!r} matches no known place."))
        elif "region" in given and given["region"].upper() != place.region:
            problems.append(_message(
                "The region does not match the postal code.", f"{where}.Region",
                f"Postal code {place.postal_code} is in {place.region}, not "
                f"{given['region'].upper()}."))
        region = place.region if place is not None else given.get("region", "").upper() or None
        return Resolved(given, country, region, place, tuple(problems))
    if table.vat_of(country) is not None or len(country) == 2:
        return Resolved(given, country, given.get("region"), None, ())
    raise AvaTaxError(400, "InvalidAddress", f"Unknown country '{country}'.",
                      refers_to=f"{where}.Country")


def authorities(table: RateTable, resolved: Resolved) -> list[dict[str, Any]]:
    """The tax authorities of a resolved address (``TaxAuthorityInfo``)."""
    if resolved.place is None:
        vat = table.vat_of(resolved.country)
        return [{"avalaraId": vat.country, "jurisdictionName": vat.name,
                 "jurisdictionType": "Country", "signatureCode": vat.country}] if vat else []
    place = resolved.place
    state = table.state(place.region)
    found = [{"avalaraId": state.code, "jurisdictionName": state.name,
              "jurisdictionType": "State", "signatureCode": f"{state.region}{state.code}"}] \
        if state else []
    found.append({"avalaraId": place.county.code, "jurisdictionName": place.county.name,
                  "jurisdictionType": "County", "signatureCode": place.county.code})
    found.append({"avalaraId": place.city_jurisdiction.code,
                  "jurisdictionName": place.city_jurisdiction.name,
                  "jurisdictionType": "City", "signatureCode": place.city_jurisdiction.code})
    found += [{"avalaraId": special.code, "jurisdictionName": special.name,
               "jurisdictionType": "Special", "signatureCode": special.code}
              for special in place.specials]
    return found


def resolution_body(table: RateTable, resolved: Resolved) -> dict[str, Any]:
    given = resolved.given
    body: dict[str, Any] = {"address": {name: given.get(name) for name in FIELDS}}
    place = resolved.place
    if place is not None and resolved.resolved:
        body["validatedAddresses"] = [{
            "addressType": "StreetOrResidentialAddress",
            "line1": given.get("line1", place.line1).upper(), "line2": "", "line3": "",
            "city": place.city, "region": place.region, "country": "US",
            "postalCode": place.postal_code, "latitude": place.latitude,
            "longitude": place.longitude}]
        body["coordinates"] = {"latitude": place.latitude, "longitude": place.longitude}
        body["resolutionQuality"] = "Rooftop" if "line1" in given else "PostalCentroidGood"
        body["taxAuthorities"] = authorities(table, resolved)
    elif resolved.country != "US" and resolved.resolved:
        body["validatedAddresses"] = [{"addressType": "UnknownAddressType",
                                       **{name: given.get(name, "") for name in FIELDS},
                                       "country": resolved.country}]
        body["resolutionQuality"] = "CountryCentroid"
        body["taxAuthorities"] = authorities(table, resolved)
    else:
        body["validatedAddresses"] = [{"addressType": "UnknownAddressType",
                                       **{name: given.get(name, "") for name in FIELDS}}]
        body["resolutionQuality"] = "NotCoded"
        body["messages"] = list(resolved.problems)
    return body


__all__ = ["Resolved", "authorities", "resolution_body", "resolve"]
