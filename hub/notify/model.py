"""A pre-arrival notification as the carrier submits it: validated field by field.

The shape follows what EAEU pre-arrival information and NCTS carry (header,
conveyance, drivers, equipment, consignments with goods items; see docs/notify.md).
Unknown keys are refused, so a misspelt field is an error, not silently dropped.
Identifiers are checked by :mod:`hub.notify.checks` and stored canonical; plates
are checked against their country's formats as the queue checks them.
"""

from __future__ import annotations

from datetime import UTC
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from hub.notify import checks
from hub.queue.plates import booking_plate
from hub.queue.records import QueueError

Container = Annotated[str, AfterValidator(checks.container_number)]
Seal = Annotated[str, AfterValidator(checks.seal_number)]
Sscc = Annotated[str, AfterValidator(checks.sscc)]
HsCode = Annotated[str, AfterValidator(checks.hs_code)]
UnNumber = Annotated[str, AfterValidator(checks.un_number)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2,3}$", description="ISO 3166 code, e.g. KZ")]
Text = Annotated[str, Field(min_length=1, max_length=200)]
# Times are kept in UTC whatever zone they were sent in, so stored bodies compare.
UtcTime = Annotated[AwareDatetime, AfterValidator(lambda t: t.astimezone(UTC))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class VehiclePlate(_Strict):
    """A plate and the country that issued it, checked against that country's formats."""

    plate: str = Field(min_length=2, max_length=16, description="As on the plate")
    country: Country

    @model_validator(mode="after")
    def _fits_country(self) -> VehiclePlate:
        try:
            canonical = booking_plate(self.plate, self.country)
        except QueueError as exc:
            raise ValueError(str(exc)) from None
        object.__setattr__(self, "plate", canonical.text)
        return self


class Eta(_Strict):
    """When the truck is expected at the crossing."""

    earliest: UtcTime = Field(description="Start of the arrival window")
    latest: UtcTime = Field(description="End of the arrival window")

    @model_validator(mode="after")
    def _ordered(self) -> Eta:
        if self.latest < self.earliest:
            raise ValueError("the ETA window ends before it starts")
        if (self.latest - self.earliest).total_seconds() > 24 * 3600:
            raise ValueError("the ETA window is longer than 24 hours")
        return self


class References(_Strict):
    """The transit and transport documents the truck travels under."""

    transit: Annotated[str, AfterValidator(checks.transit_reference)] | None = Field(
        None, description="Transit MRN (NCTS) or EAEU transit declaration number"
    )
    tir_carnet: Annotated[str, AfterValidator(checks.tir_carnet)] | None = Field(
        None, description="TIR carnet number"
    )
    cmr: Annotated[str, Field(min_length=3, max_length=35)] | None = Field(
        None, description="CMR consignment note or e-CMR number"
    )


class Conveyance(_Strict):
    """The vehicle: tractor, trailers and who operates them."""

    tractor: VehiclePlate = Field(description="Tractor (or rigid truck) plate")
    vin: Annotated[str, AfterValidator(checks.vin)] = Field(description="Tractor VIN")
    trailers: list[VehiclePlate] = Field(default_factory=list, max_length=3)
    carrier_id: Text = Field(description="Carrier's registration or customs number")
    carrier_name: Text = Field(description="Carrier's name")


class Driver(_Strict):
    """One driver on board."""

    name: Annotated[str, Field(min_length=2, max_length=100)] = Field(description="Full name")
    document: Annotated[str, Field(min_length=4, max_length=30)] = Field(
        description="Passport or ID number"
    )
    nationality: Country
    phone: Annotated[str, Field(pattern=r"^\+?[\d\s\-()]{8,20}$")] = Field(
        description="With country code, e.g. +7 701 555 0101"
    )


class Equipment(_Strict):
    """What is sealed and carried: containers, seals, or an empty vehicle."""

    containers: list[Container] = Field(default_factory=list, max_length=4)
    seals: list[Seal] = Field(default_factory=list, max_length=20)
    empty: bool = Field(False, description="The vehicle travels empty")


class Certificate(_Strict):
    """A certificate a goods item travels with."""

    kind: str = Field(pattern="^(phytosanitary|veterinary|origin)$")
    number: Text


class GoodsItem(_Strict):
    """One line of goods."""

    hs_code: HsCode = Field(description="Harmonized System code, 6 to 10 digits")
    description: Text
    packages: int = Field(ge=1, le=100_000, description="Number of packages")
    package_type: Annotated[str, Field(min_length=2, max_length=2)] = Field(
        description="UN/ECE Recommendation 21 code, e.g. PX (pallet), CT (carton)"
    )
    gross_kg: float = Field(gt=0, le=60_000)
    net_kg: float = Field(gt=0, le=60_000)
    ssccs: list[Sscc] = Field(default_factory=list, max_length=500)
    un_numbers: list[UnNumber] = Field(default_factory=list, max_length=20)
    perishable: bool = False
    certificates: list[Certificate] = Field(default_factory=list, max_length=10)

    @model_validator(mode="after")
    def _net_within_gross(self) -> GoodsItem:
        if self.net_kg > self.gross_kg:
            raise ValueError(f"net mass {self.net_kg} kg exceeds gross mass {self.gross_kg} kg")
        return self


class Consignment(_Strict):
    """Goods from one consignor to one consignee under one transport document."""

    consignor: Text
    consignee: Text
    transport_document: Text = Field(description="CMR or invoice reference")
    gross_kg: float = Field(gt=0, le=60_000)
    items: list[GoodsItem] = Field(min_length=1, max_length=200)


class NotificationIn(_Strict):
    """What a carrier submits; an amendment is the whole notification again."""

    notification_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9\-_/.]{4,40}$")] = Field(
        description="The carrier's own id; amendments reuse it"
    )
    amendment: int = Field(0, ge=0, le=999, description="0 first, then 1, 2, … in order")
    submitted_at: UtcTime = Field(description="When the carrier sent it (its clock)")
    crossing: Annotated[str, Field(min_length=2, max_length=40)] = Field(
        description="Crossing point id, e.g. temirbaba"
    )
    direction: str = Field(description="Direction id of the crossing, e.g. kz-tm")
    eta: Eta
    booking_reference: str | None = Field(None, description="Queue booking reference")
    references: References = Field(default_factory=References)
    conveyance: Conveyance
    drivers: list[Driver] = Field(min_length=1, max_length=3)
    equipment: Equipment = Field(default_factory=Equipment)
    consignments: list[Consignment] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _cargo_or_empty(self) -> NotificationIn:
        if self.equipment.empty and self.consignments:
            raise ValueError("an empty vehicle carries no consignments")
        if not self.equipment.empty and not self.consignments:
            raise ValueError("declare at least one consignment, or set equipment.empty")
        seen: set[str] = set()
        for c in self.consignments:
            for item in c.items:
                for code in item.ssccs:
                    if code in seen:
                        raise ValueError(f"SSCC {code} is declared twice")
                    seen.add(code)
        return self

    def ssccs(self) -> list[str]:
        """Every declared SSCC, in order."""
        return [s for c in self.consignments for i in c.items for s in i.ssccs]
